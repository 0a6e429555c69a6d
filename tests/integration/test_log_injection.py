"""A log line is one line: text a caller sends cannot forge another (security review, finding 5).

The request line logs the path's order id before the route validates it — on a 401
too — so a `%0A` in the path used to end the line and start a forged one in the text
format. Every text field is now written with its control characters escaped; JSON lines
were always escaped by the encoder, and are held to the same here.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from guard.logs import ContextFilter, JsonFormatter, TextFormatter

from support.api import CLEAR_FACTS

FORGED = "2026-11-11 00:05:13.123 INFO    guard.request  label issued  order_id=o-2 label_id=forged"
# %0A ends a line, %0D returns the cursor, %1B[2J clears a terminal following the log.
HOSTILE_PATH = "/v1/orders/o-1%0A" + FORGED.replace(" ", "%20") + "%0D%1B%5B2J/check"


@pytest.fixture(params=[TextFormatter, JsonFormatter], ids=["text", "json"])
def log_output(request) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    stream.json = request.param is JsonFormatter
    handler = logging.StreamHandler(stream)
    handler.setFormatter(request.param())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("guard")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def lines_of(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_line_break_in_a_path_does_not_forge_a_log_line_even_on_a_401(guard, log_output):
    response = guard.client.post(HOSTILE_PATH)  # no key at all
    assert response.status_code == 401

    [line] = lines_of(log_output)  # one request, one line
    assert "401" in line
    assert "\x1b" not in line and "\r" not in line
    assert not any(text.startswith("2026-11-11") for text in line.splitlines()[1:])


def test_a_line_break_in_a_path_does_not_forge_a_log_line_with_a_key(guard, log_output):
    response = guard.client.post(HOSTILE_PATH, headers=guard.auth())
    assert response.status_code == 422  # the id rule, after the line was already being logged

    [line] = lines_of(log_output)
    assert "\x1b" not in line and "\r" not in line and "\n" not in line


def test_control_characters_in_a_logged_message_and_its_fields_are_escaped(log_output):
    log = logging.getLogger("guard.test")
    log.warning(
        "carrier said %s", "ok\n" + FORGED, extra={"order_id": "o-1\r\n" + FORGED, "note": "\x1b]52;c;aGk=\x07"}
    )

    [line] = lines_of(log_output)
    assert "\x1b" not in line and "\x07" not in line
    if line.startswith("{"):
        record = json.loads(line)
        assert record["order_id"] == "o-1\r\n" + FORGED  # JSON keeps the value exactly, escaped
    else:
        assert "order_id=o-1\\r\\n2026-11-11" in line


def test_an_exception_logged_with_its_traceback_cannot_forge_a_line_either(log_output):
    log = logging.getLogger("guard.test")
    try:
        raise ValueError("bad row\n" + FORGED)
    except ValueError:
        log.exception("import failed")

    lines = lines_of(log_output)
    if not log_output.json:
        assert len(lines) > 1  # the traceback keeps its shape, one frame a line ...
    assert not any(line.startswith("2026-11-11") for line in lines)  # ... but none reads as a log line
    assert all("\x1b" not in line for line in lines)


def test_an_ordinary_request_logs_exactly_as_before(guard, log_output):
    guard.record("o-1", **CLEAR_FACTS)
    log_output.truncate(0)
    log_output.seek(0)
    guard.check("o-1")
    [line] = lines_of(log_output)
    assert "order_id=o-1" in line or '"order_id":"o-1"' in line
