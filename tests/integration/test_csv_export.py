"""The hold export is safe to open in a spreadsheet (security review, finding 11).

Ids may start with `-` (the id rule allows it), and a spreadsheet reads a cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula. As OWASP
recommends, such a cell is written with a leading `'`: the spreadsheet shows the text
and runs nothing. Both exports — `GET /v1/holds/export.csv` (the hold board's
button) and `guard export holds --format csv` — stream the same rows.
"""

from __future__ import annotations

import csv
import io

import pytest

from guard.services.hold_queue import spreadsheet_safe

from support.api import CLEAR_FACTS


def hold_hostile_ids(guard) -> None:
    events = [
        guard.event(
            "-A1", fact_type, status, store_id="-2-3", **({"tracking_number": "LP1"} if status == "recorded" else {})
        )
        for fact_type, status in {**CLEAR_FACTS, "payment": "processing"}.items()
    ]
    guard.push(*events)
    assert guard.check("-A1", station_id="-SUM.A1")["verdict"] == "hold"


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_neutralised(rows: list[dict]) -> None:
    [row] = rows
    assert (row["order_id"], row["station_id"], row["store_id"]) == ("'-A1", "'-SUM.A1", "'-2-3")
    assert row["state"] == "held" and row["reasons"] == "PAYMENT_PROCESSING"
    for value in row.values():
        assert not value or value[0] not in "=+-@\t\r", row


def test_the_api_export_writes_formula_leading_cells_as_text(guard):
    hold_hostile_ids(guard)
    response = guard.client.get("/v1/holds/export.csv", headers=guard.auth())
    assert response.status_code == 200
    assert_neutralised(rows_of(response.text))


def test_the_cli_export_writes_formula_leading_cells_as_text(guard, cli):
    hold_hostile_ids(guard)
    assert_neutralised(rows_of(cli("export", "holds", "--format", "csv").stdout))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("o-1", "o-1"),
        ("2026-11-11T00:00:00+00:00", "2026-11-11T00:00:00+00:00"),
        ("", ""),
    ],
)
def test_a_cell_is_neutralised_only_when_it_starts_like_a_formula(value, shown):
    assert spreadsheet_safe(value) == shown
