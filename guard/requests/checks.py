"""The checks' bodies: hand parsers for the busy routes, and the models that document them.

`POST /v1/orders/{order_id}/check` runs thousands of times a second at peak and
`POST /v1/checks` takes up to 20,000 ids: they are parsed by hand (a model costs
more than the rest of the parse, and a batch must name every bad index in one
pass). `CheckBody` and `BatchCheckBody` describe the same bodies in the OpenAPI
document; tests/unit/test_request_agreement.py holds parser and model to the same
answers.
"""

from __future__ import annotations

from pydantic import Field

from guard.errors import ValidationFailed, problem
from guard.ids import ID_RULE
from guard.requests.fields import Id, Operator, RequestModel, is_id, is_text
from guard.services.checks import CheckRequest

MAX_BATCH = 20_000


def parse_check(order_id: str, body: object) -> CheckRequest:
    """The single check's optional body (`order_id` comes checked, from the path)."""
    if body is None:
        return CheckRequest(order_id=order_id)
    if not isinstance(body, dict):
        raise ValidationFailed([problem("", "the body, if any, must be a JSON object")])
    problems = []
    values: dict[str, str] = {}
    for field in ("station_id", "parcel_id"):
        value = body.get(field)
        if value is not None:
            if is_id(value):
                values[field] = value
            else:
                problems.append(problem(field, ID_RULE))
    operator = body.get("operator")
    if operator is not None:
        if is_text(operator, 128):
            values["operator"] = operator
        else:
            problems.append(problem("operator", "must be a non-empty string of at most 128 characters"))
    if problems:
        raise ValidationFailed(problems)
    return CheckRequest(order_id=order_id, **values)


def parse_batch_ids(body: object) -> list[str]:
    if not isinstance(body, dict):
        raise ValidationFailed([problem("", 'the body must be a JSON object: {"order_ids": [...]}')])
    order_ids = body.get("order_ids")
    if not isinstance(order_ids, list):
        raise ValidationFailed([problem("order_ids", "is required: a list of 1 to 20,000 order ids")])
    if not 1 <= len(order_ids) <= MAX_BATCH:
        raise ValidationFailed([problem("order_ids", f"must hold 1 to {MAX_BATCH:,} ids, got {len(order_ids):,}")])
    problems = [problem("order_ids", ID_RULE, index) for index, order_id in enumerate(order_ids) if not is_id(order_id)]
    if problems:
        raise ValidationFailed(problems)
    return order_ids


class CheckBody(RequestModel):
    """The single check's body (optional)."""

    station_id: Id | None = Field(None, description="The packing station asking (its stream hears of the hold).")
    operator: Operator | None = None
    parcel_id: Id | None = Field(None, description='For orders shipped in several parcels; default "1".')


class BatchCheckBody(RequestModel):
    """A wave to pre-check (read-only)."""

    order_ids: list[Id] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="1 to 20,000 ids, answered in input order; a repeated id is answered each time.",
    )
