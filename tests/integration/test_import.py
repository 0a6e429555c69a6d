"""`guard import`: exports as sellers have them load as facts, row by row, and may only make
an order stricter when they carry no time of their own (contract v1.1)."""

import codecs
import io
import os
import pty
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from guard.clock import utcnow
from guard.order_exports import ExportError, load_map
from guard.services.imports import import_export

from support.api import at

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "aliexpress-export.csv"
AS_OF = "2026-11-11T09:00:00+08:00"
SAMPLE_IDS = [f"30418392017465{n:02d}" for n in range(1, 13)]


def run_import(guard, data, *, as_of=AS_OF, **options):
    if isinstance(data, str):
        data = data.encode()
    return import_export(guard.client.app.state.runtime, data, as_of, utcnow, **options)


def verdicts(guard, ids):
    body = guard.client.post("/v1/checks", json={"order_ids": ids}, headers=guard.auth()).json()
    return {r["order_id"]: (r["verdict"], r["reasons"]) for r in body["results"]}


def test_the_sample_seller_center_export_loads_and_every_order_gets_its_verdict(guard):
    report = run_import(guard, SAMPLE.read_bytes(), store_id="shop-1")
    assert (report.encoding, report.mapping) == ("gb18030", "aliexpress-seller-center")
    assert (report.rows, report.applied, report.rejected_rows) == (12, 12, 0)
    assert "买家名称" in report.ignored_columns and "订单号" not in report.ignored_columns
    got = verdicts(guard, SAMPLE_IDS)
    assert got["3041839201746501"] == ("hold", ["SHIPPING_NOTICE_MISSING"])
    assert got["3041839201746502"] == ("hold", ["FUNDS_IN_SETTLEMENT", "PAYMENT_UNKNOWN", "SHIPPING_NOTICE_MISSING"])
    assert got["3041839201746503"] == ("hold", ["RISK_REVIEW", "SHIPPING_NOTICE_MISSING"])
    assert got["3041839201746504"] == ("hold", ["PAYMENT_UNPAID", "SHIPPING_NOTICE_MISSING"])
    assert got["3041839201746505"] == ("clear", [])  # shipped with its number: the notice is recorded
    assert got["3041839201746507"][0] == "block"
    assert got["3041839201746510"] == ("hold", ["DISPUTE_OPEN", "SHIPPING_NOTICE_MISSING"])
    order = guard.client.get("/v1/orders/3041839201746501", headers=guard.auth()).json()
    # 发货期限 is US Pacific wall-clock time: 08:06:40 PST on 14 November is 16:06:40 UTC.
    assert order["store_id"] == "shop-1" and order["ship_by"].startswith("2026-11-14T16:06:40")
    assert order["facts"]["payment"]["occurred_at"].startswith("2026-11-11T01:00:00")


def test_importing_the_same_file_twice_changes_nothing(guard):
    run_import(guard, SAMPLE.read_bytes())
    again = run_import(guard, SAMPLE.read_bytes())
    assert (again.applied, again.duplicate) == (0, 12)


def test_a_later_export_of_unchanged_orders_applies_nothing_and_says_why(guard):
    run_import(guard, SAMPLE.read_bytes())
    later = run_import(guard, SAMPLE.read_bytes(), as_of="2026-11-11T10:00:00+08:00")
    assert (later.applied, later.untimed, later.final) == (0, 11, 1)  # the closed order: final
    # The export's header has a line break inside a cell (产品信息), so its first row is on line 3.
    assert any(
        line.startswith("line 4: untimed; ") and "settlement is already processing" in line
        for line in later.not_applied
    )


TEXT = "订单号,订单状态\n1001,等待您发货\n1002,订单结束\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_every_encoding_excel_writes_reads_the_same(guard, encoding):
    report = run_import(guard, TEXT.encode(encoding))
    assert (report.applied, report.rejected_rows) == (2, 0)
    assert verdicts(guard, ["1001", "1002"]) == {
        "1001": ("hold", ["SHIPPING_NOTICE_MISSING"]),
        "1002": ("block", ["ORDER_CLOSED", "PAYMENT_UNKNOWN", "SHIPPING_NOTICE_MISSING"]),
    }


def test_a_tab_separated_unicode_text_export_reads_too(guard):
    data = codecs.BOM_UTF16_LE + "订单号\t订单状态\r\n1003\t风控中\r\n".encode("utf-16-le")
    assert run_import(guard, data).applied == 1


def test_a_file_that_is_no_text_or_a_workbook_is_refused_with_what_to_do(guard):
    with pytest.raises(ExportError, match="encoding"):
        run_import(guard, b"\x81\xff\xfe\x00\x80" * 20)
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ExportError, match="save it as CSV"):
        run_import(guard, workbook.getvalue())


@pytest.mark.parametrize(
    "damaged, named",
    [
        ("8.19E+12,WAIT_SELLER_SEND_GOODS", "scientific notation"),
        ('"=""8190000000002""",WAIT_SELLER_SEND_GOODS', 'wrapped in ="…"'),
    ],
)
def test_spreadsheet_damage_refuses_the_whole_file_and_names_the_lines(guard, damaged, named):
    text = "order_id,status\n8190000000001,FINISH\n" + damaged + "\n8190000000003,FINISH\n"
    report = run_import(guard, text)
    assert report.failed and report.applied == 0
    assert len(report.damaged) == 1 and report.damaged[0].startswith("line 3: order_id") and named in report.damaged[0]
    assert guard.client.get("/v1/orders/8190000000001", headers=guard.auth()).status_code == 404


def test_a_bad_row_is_rejected_alone_and_named_with_its_line_field_and_message(guard):
    good = "".join(f"ok-{n},WAIT_SELLER_SEND_GOODS,\n" for n in range(1500))
    text = "order_id,status,ship_by\n" + good + "bad 1,FINISH,\nok-x,FINISH,tomorrow\n"
    report = run_import(guard, text)
    assert (report.applied, report.rejected_rows) == (1500, 2)
    assert report.problems[0].startswith("line 1503: ship_by: ")
    assert report.problems[1].startswith("line 1502: order_id: ")
    assert report.failed


def test_a_row_refused_in_ingest_is_rejected_alone_and_the_chunk_runs_without_it(guard):
    guard.push(guard.event("moved", "payment", "paid", store_id="shop-a"))
    text = "order_id,status,store_id\nfine-1,WAIT_SELLER_SEND_GOODS,shop-b\nmoved,FINISH,shop-b\nfine-2,FINISH,shop-b\n"
    report = run_import(guard, text)
    assert (report.applied, report.rejected_rows) == (2, 1)
    assert report.problems == ["line 3: store_id: an order's store_id never changes"]
    assert guard.check("moved")["verdict"] == "hold"


def test_a_stale_export_does_not_clear_a_frozen_order(guard):
    # Issue 12, case 5: frozen through the API an hour before the export was downloaded.
    guard.push(
        guard.event("frozen", "platform_status", "IN_FROZEN", 0, platform="aliexpress"),
        guard.event("frozen", "payment", "paid", 0),
        guard.event("frozen", "shipping_notice", "recorded", 0, tracking_number="LP1"),
    )
    report = run_import(guard, "order_id,status\nfrozen,WAIT_SELLER_SEND_GOODS\n", as_of=at(60))
    assert guard.codes("frozen") == ["RISK_REVIEW"]
    assert report.not_applied == ["line 2: untimed; would have lowered RISK_REVIEW (risk reviewing → cleared)"]
    # A real event, older than the export's --as-of, still lands: a timed fact replaces an untimed one.
    guard.push(guard.event("frozen", "platform_status", "WAIT_SELLER_SEND_GOODS", 30, platform="aliexpress"))
    assert guard.check("frozen")["verdict"] == "clear"


def test_an_export_may_make_an_order_stricter(guard):
    guard.record("cleared", 0, payment="paid", risk="cleared", shipping_notice="recorded")
    run_import(guard, "order_id,status\ncleared,RISK_CONTROL\n", as_of=at(60))
    reasons = guard.check("cleared")["reasons"]
    assert [r["code"] for r in reasons] == ["RISK_REVIEW"]
    order = guard.client.get("/v1/orders/cleared", headers=guard.auth()).json()
    assert order["facts"]["risk"]["status"] == "reviewing"


def test_an_untimed_cancellation_request_cannot_be_waived(guard):
    guard.record("cx", 0, payment="paid", shipping_notice="recorded")
    run_import(guard, "order_id,status\ncx,IN_CANCEL\n", as_of=at(60))
    assert guard.codes("cx") == ["CANCEL_REQUESTED"]
    response = guard.client.post("/v1/holds/cx/release", json={"reason": "buyer withdrew"}, headers=guard.auth())
    assert response.status_code == 409 and response.json()["error"]["code"] == "NOT_WAIVABLE"


def test_a_row_with_its_own_modified_at_is_timed(guard):
    guard.push(guard.event("timed", "platform_status", "IN_FROZEN", 0, platform="aliexpress"))
    report = run_import(guard, f"order_id,status,modified_at\ntimed,WAIT_SELLER_SEND_GOODS,{at(10)}\n")
    assert report.applied == 1
    assert "RISK_REVIEW" not in guard.codes("timed")


def test_a_mapping_names_the_columns_and_status_texts(guard, tmp_path):
    mapping = tmp_path / "erp.toml"
    mapping.write_text(
        '[columns]\norder_id = "Order No."\nstatus = "State"\nmodified_at = "Updated"\n'
        '[times]\nzone = "America/Los_Angeles"\n[status]\n"Ready to ship" = "WAIT_SELLER_SEND_GOODS"\n',
        encoding="utf-8",
    )
    text = "Order No.,State,Updated\nm-1,Ready to ship,2026-07-01 10:00:00\nm-2,Brand new state,2026-07-01 10:00:00\n"
    report = run_import(guard, text, column_map=load_map(str(mapping)))
    assert report.applied == 2
    order = guard.client.get("/v1/orders/m-1", headers=guard.auth()).json()
    assert order["facts"]["payment"]["occurred_at"].startswith("2026-07-01T17:00:00")  # PDT in July
    error = next(r for r in guard.check("m-2")["reasons"] if r["code"] == "RULE_ERROR")
    assert "status=Brand new state" in error["detail"]
    assert report.unknown_words[0].startswith("line 3: status=Brand new state is not a known AliExpress word")


def test_a_missing_column_refuses_the_file_before_anything_is_stored(guard):
    with pytest.raises(ExportError, match="missing column"):
        run_import(guard, "order,status\n1,FINISH\n")


# --- the command ------------------------------------------------------------------------


def cli_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_")}
    return {**env, "GUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}


GUARD = [sys.executable, "-m", "guard.cli"]


def test_the_cli_reports_and_exits_non_zero_only_when_a_row_is_rejected(tmp_path):
    env = cli_env(tmp_path)
    subprocess.run([*GUARD, "db", "upgrade"], env=env, check=True, capture_output=True)
    ok = subprocess.run(
        [*GUARD, "import", str(SAMPLE), "--as-of", AS_OF, "--store", "shop-1"], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert "read as gb18030, columns by aliexpress-seller-center" in ok.stdout
    assert "12 rows: 12 applied" in ok.stdout and "importing" not in ok.stderr  # no bar off a terminal
    again = subprocess.run(
        [*GUARD, "import", str(SAMPLE), "--as-of", "2026-11-11T10:00:00+08:00"], env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and "line 3: untimed; " in again.stdout  # not applied is not an error
    bad = tmp_path / "bad.csv"
    bad.write_text("order_id,status\n1,FINISH\n2,FINISH\n3 3,FINISH\n")
    failed = subprocess.run([*GUARD, "import", str(bad), "--as-of", AS_OF], env=env, capture_output=True, text=True)
    assert failed.returncode == 1 and "line 4: order_id" in failed.stderr and "2 applied" in failed.stdout
    damaged = tmp_path / "damaged.csv"
    damaged.write_text("order_id,status\n8.19E+12,FINISH\n")
    refused = subprocess.run(
        [*GUARD, "import", str(damaged), "--as-of", AS_OF], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1 and "refused the whole file" in refused.stderr and "line 2" in refused.stderr
    no_offset = subprocess.run(
        [*GUARD, "import", str(SAMPLE), "--as-of", "2026-11-11 09:00"], env=env, capture_output=True, text=True
    )
    assert no_offset.returncode == 2 and "--as-of" in no_offset.stderr


def test_a_long_import_shows_a_moving_progress_bar_on_a_terminal(tmp_path):
    env = cli_env(tmp_path)
    subprocess.run([*GUARD, "db", "upgrade"], env=env, check=True, capture_output=True)
    export = tmp_path / "long.csv"
    export.write_text("order_id,status\n" + "".join(f"long-{n},WAIT_SELLER_SEND_GOODS\n" for n in range(4000)))
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [*GUARD, "import", str(export), "--as-of", AS_OF],
        env=env,
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out, _ = process.communicate(timeout=120)
    os.close(primary)
    assert process.returncode == 0
    assert b"4,000 rows: 4,000 applied" in out
    shown = seen.decode(errors="replace")
    assert "importing 4,000 rows" in shown
    assert len({p for p in ("25%", "50%", "75%", "100%") if p in shown}) >= 3  # it moved, chunk by chunk
