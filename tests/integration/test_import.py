"""`guard import`: an AliExpress export loads as facts, chunk by chunk, and twice is harmless."""

import io
import subprocess
import sys
from pathlib import Path

from guard.clock import utcnow
from guard.services.imports import import_csv

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "aliexpress-export.csv"
AS_OF = "2026-11-11T09:00:00+08:00"


def run_import(guard, text: str):
    return import_csv(guard.client.app.state.runtime, io.StringIO(text), AS_OF, utcnow)


def test_the_sample_export_loads_and_every_order_gets_its_verdict(guard):
    report = run_import(guard, SAMPLE.read_text())
    assert (report.rows, report.applied, report.rejected_rows) == (10, 10, 0)
    assert report.ignored_columns == ["buyer_country", "order_amount"]
    ids = [f"81900000000{n:02d}" for n in range(1, 11)]
    body = guard.client.post("/v1/checks", json={"order_ids": ids}, headers=guard.auth()).json()
    verdicts = {r["order_id"]: (r["verdict"], r["reasons"]) for r in body["results"]}
    assert verdicts["8190000000002"] == ("hold", ["PAYMENT_PROCESSING", "SHIPPING_NOTICE_MISSING"])
    assert verdicts["8190000000004"] == ("hold", ["TRACKING_NUMBER_PENDING"])
    assert verdicts["8190000000007"][0] == "block"
    assert verdicts["8190000000008"] == ("clear", [])
    assert verdicts["8190000000010"][0] == "block"
    order = guard.client.get("/v1/orders/8190000000001", headers=guard.auth()).json()
    assert order["store_id"] == "shop-1" and order["facts"]["payment"]["occurred_at"].startswith("2026-11-11T01:00:00")


def test_importing_the_same_file_twice_changes_nothing(guard):
    run_import(guard, SAMPLE.read_text())
    again = run_import(guard, SAMPLE.read_text())
    assert (again.applied, again.duplicate) == (0, 10)


def test_a_chunk_with_a_bad_row_is_rejected_whole_and_the_line_is_named(guard):
    good = "".join(f"ok-{n},WAIT_SELLER_SEND_GOODS\n" for n in range(1500))
    text = "order_id,status\n" + good + "bad-1,NOT_A_STATUS\n"
    report = run_import(guard, text)
    # Rows 1-1000 form the first chunk (applied); the second chunk holds the bad line.
    assert report.applied == 1000 and report.rejected_rows == 501
    assert report.problems == ["line 1502: status: unknown AliExpress order status; see docs/integration.md"]


def test_several_exports_in_a_row_are_fine(guard):
    for part in range(3):
        text = "order_id,status,modified_at\n" + "".join(
            f"wave-{part}-{n},FUND_PROCESSING,2026-11-11T0{part}:00:00+08:00\n" for n in range(1200)
        )
        assert run_import(guard, text).applied == 1200
    counts = guard.client.post(
        "/v1/checks", json={"order_ids": [f"wave-{p}-{n}" for p in range(3) for n in range(1200)]}, headers=guard.auth()
    ).json()["counts"]
    assert counts == {"clear": 0, "hold": 3600, "block": 0}


def test_the_cli_reports_and_exits_non_zero_on_rejected_rows(tmp_path):
    env = {"GUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "PATH": "/usr/bin:/bin"}
    guard = [sys.executable, "-m", "guard.cli"]
    subprocess.run([*guard, "db", "upgrade"], env=env, check=True, capture_output=True)
    ok = subprocess.run([*guard, "import", str(SAMPLE), "--as-of", AS_OF], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "10 rows: 10 applied" in ok.stdout and "ignored columns: buyer_country, order_amount" in ok.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("order_id,status\n1,FINISH\n2,WHAT\n")
    failed = subprocess.run([*guard, "import", str(bad), "--as-of", AS_OF], env=env, capture_output=True, text=True)
    assert failed.returncode == 1
    assert "line 3: status" in failed.stderr
    no_offset = subprocess.run(
        [*guard, "import", str(SAMPLE), "--as-of", "2026-11-11 09:00"], env=env, capture_output=True, text=True
    )
    assert no_offset.returncode == 2 and "--as-of" in no_offset.stderr
