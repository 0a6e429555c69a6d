"""docs/integration.md's JSON examples are true: each request example, posted as written (in
the document's order, to one guard), is accepted; every JSON block says whether it is a
request or an answer, so a new example cannot slip past this test."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
BLOCK = re.compile(r"(?:<!-- (request: [^>]*|response) -->\n)?```json\n(.*?)```", re.S)
REQUEST = re.compile(r"request: (?:(one event of) )?(GET|POST|PUT) (/\S+)")


def examples() -> list[tuple[str | None, str]]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_every_json_block_is_marked_a_request_or_an_answer():
    blocks = examples()
    assert blocks
    assert [body[:60] for kind, body in blocks if not kind] == []


def test_every_request_example_is_accepted_as_written(guard):
    requests = [(REQUEST.fullmatch(kind.strip()), body) for kind, body in examples() if kind.startswith("request")]
    assert len(requests) >= 3 and all(match for match, _ in requests)
    for match, text in requests:
        one_event, method, path = match.groups()
        body = json.loads(text)
        if one_event:
            body = {"events": [body]}
        response = guard.client.request(method, path, json=body, headers=guard.auth())
        assert 200 <= response.status_code < 300, (method, path, response.text)
        if path == "/v1/events":
            assert {r["outcome"] for r in response.json()["results"]} == {"applied"}
