"""What the API (and the CLI) accept: one request contract, in one place.

- `fields`: the field rules every request shares (ids, written reasons, whole numbers,
  flags), each a validator and its JSON Schema at once.
- `bodies` and `queries`: pydantic models that *are* the validators of the low-volume
  routes, and the OpenAPI document's description of them.
- `checks` and `events`: the busy routes (`POST /v1/events`, `POST /v1/checks`, the
  single check) keep hand parsers, which name every problem of a batch in one pass and
  cost a fraction of a model's time; beside each stands the model that documents the same
  body, and tests/unit/test_request_agreement.py holds the two to the same answers.

Services never import this package: they receive parsed domain values
(tests/unit/test_architecture.py).
"""
