"""GUARD_RULES_FILE: stores tune timers and switch off waivable rules — never the others."""

import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine
from guard.rules import RulesFileError
from guard.services.apikeys import create_key

from support.api import CLEAR_FACTS, Guard

RULES = """
[defaults.PAYMENT_PROCESSING]
recheck_minutes = 20

[stores."prepaid-freight".FREIGHT_UNPAID]
enabled = false
"""


@pytest.fixture
def tuned_guard(settings, tmp_path):
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(RULES)
    tuned = settings.model_copy(update={"rules_file": rules_file})
    engine = make_engine(tuned)
    key = create_key(engine, "erp", ["events", "check"], None)
    with TestClient(create_app(tuned)) as client:
        yield Guard(client=client, engine=engine, key=key)
    engine.dispose()


def test_a_store_may_switch_off_a_waivable_rule(tuned_guard):
    facts = {**CLEAR_FACTS, "freight": "pending"}
    for order_id, store in (("o-prepaid", "prepaid-freight"), ("o-other", "other-shop")):
        tuned_guard.push(
            *[
                tuned_guard.event(
                    order_id, t, s, 1, store_id=store, **({"tracking_number": "LP1"} if s == "recorded" else {})
                )
                for t, s in facts.items()
            ]
        )
    assert tuned_guard.check("o-prepaid")["verdict"] == "clear"
    assert tuned_guard.codes("o-other") == ["FREIGHT_UNPAID"]


def test_recheck_intervals_follow_the_file(tuned_guard):
    tuned_guard.record("o-int", **{**CLEAR_FACTS, "payment": "processing"})
    result = tuned_guard.check("o-int")
    [reason] = result["reasons"]
    delay = datetime.fromisoformat(reason["recheck_at"]) - datetime.fromisoformat(result["decided_at"])
    assert delay == timedelta(minutes=20)


def test_a_file_that_switches_off_a_non_waivable_rule_stops_the_guard_at_start(tmp_path):
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[defaults.RISK_REVIEW]\nenabled = false\n")
    with pytest.raises(RulesFileError, match="RISK_REVIEW is not waivable"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", rules_file=rules_file))
    result = subprocess.run(
        [sys.executable, "-m", "guard.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env={
            "GUARD_RULES_FILE": str(rules_file),
            "GUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
            "PATH": "/usr/bin:/bin",
        },
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "RISK_REVIEW is not waivable" in result.stderr
