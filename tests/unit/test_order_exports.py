"""Reading an export file: encodings, mappings, damage (guard/order_exports.py), without a database."""

import pytest

from guard.order_exports import ExportError, decode, load_map, read_export

AS_OF = "2026-11-11T09:00:00+08:00"


def read(text, **kwargs):
    return read_export(text, None, AS_OF, **kwargs)


def test_the_seller_centers_header_is_recognised_with_its_line_breaks_and_full_width_marks():
    text = '订单号,订单状态,"产品信息\n（双击单元格展开所有产品信息！）",实际发货物流：运单号\n1,等待买家收货,x,Cainiao：LP1\n'
    reading = read(text)
    assert reading.mapping == "aliexpress-seller-center"
    [row] = reading.rows
    assert row.line == 3
    assert (row.event["status"], row.event["tracking_number"], row.event["carrier"]) == (
        "WAIT_BUYER_ACCEPT_GOODS",
        "LP1",
        "Cainiao",
    )
    assert row.event["untimed"] is True


def test_several_numbers_in_one_cell_reject_the_row_not_the_file():
    reading = read('订单号,订单状态,实际发货物流:运单号\n1,部分发货,"A:LP1, LP2"\n2,等待您发货,\n')
    assert reading.rows[0].problems and reading.rows[1].event is not None


@pytest.mark.parametrize(
    "cell",
    ["8.19E+12", "8.190123E+15", "1e16", '"=""8190000000001"""'],
)
def test_spreadsheet_damage_is_found(cell):
    reading = read(f"order_id,status\n{cell},FINISH\n")
    assert reading.damaged and reading.damaged[0].startswith("line 2: order_id")


def test_a_number_that_merely_has_an_e_is_no_damage():
    assert not read("order_id,status\nLPE12,FINISH\n8190000000001,FINISH\n").damaged


def test_a_time_without_an_offset_needs_a_zone():
    [row] = read("order_id,status,ship_by\n1,FINISH,2026-11-14 08:00:00\n").rows
    assert row.problems and "offset" in row.problems[0]


def test_a_mapping_must_say_where_order_id_and_status_are(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\norder_id = "No."\n', encoding="utf-8")
    with pytest.raises(ExportError, match="needs status"):
        load_map(str(bad))
    with pytest.raises(ExportError, match="aliexpress-seller-center"):
        load_map("no-such-mapping")


def test_decoding_names_the_encoding_and_never_raises_a_unicode_error():
    assert decode("订单".encode("gbk"))[1] == "gb18030"
    assert decode(b"\xef\xbb\xbforder_id")[1] == "utf-8-sig"
    with pytest.raises(ExportError):
        decode(b"\x81\x30\x81")  # not UTF-8, and a broken GB18030 four-byte sequence
