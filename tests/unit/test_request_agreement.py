"""The busy routes' hand parsers and the models that document them give the same answers.

`POST /v1/events`, `POST /v1/checks` and the single check are parsed by hand (fast, and
naming every bad index of a batch in one pass); the OpenAPI document describes the same
bodies with pydantic models (guard/requests/). A client generated from the document
must not be told a body is fine that the guard refuses, nor the reverse: for every body
in these tables, the parser and the model both accept it or both refuse it — and the
table says which.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from guard.errors import ValidationFailed
from guard.events import UNKNOWN_FIELDS_BYTES, parse_batch
from guard.requests.checks import BatchCheckBody, CheckBody, parse_batch_ids, parse_check
from guard.requests.events import EventBatch


def in_minutes(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def event(**fields: Any) -> dict:
    base = {
        "event_id": "e-1",
        "order_id": "o-1",
        "type": "payment",
        "status": "paid",
        "occurred_at": "2026-11-11T00:05:00+08:00",
    }
    return {key: value for key, value in {**base, **fields}.items() if value is not ...}


def platform(**fields: Any) -> dict:
    return event(**{"type": "platform_status", "platform": "aliexpress", "status": "WAIT_SELLER_SEND_GOODS", **fields})


def batch(*events: Any) -> dict:
    return {"events": list(events)}


GOOD, BAD = True, False

EVENT_BODIES: list[tuple[str, object, bool]] = [
    ("a payment", batch(event()), GOOD),
    (
        "every fact type",
        batch(
            *(
                event(type=t, status=s)
                for t, s in [
                    ("risk", "cleared"),
                    ("order", "open"),
                    ("cancellation", "none"),
                    ("freight", "paid"),
                    ("settlement", "none"),
                    ("dispute", "open"),
                ]
            )
        ),
        GOOD,
    ),  # fmt: skip
    ("a recorded notice", batch(event(type="shipping_notice", status="recorded", tracking_number="LP1")), GOOD),
    ("a notice awaiting its number", batch(event(type="shipping_notice", status="awaiting_tracking")), GOOD),
    (
        "every optional field",
        batch(
            event(
                store_id="shop-1",
                ship_by="2026-11-14T23:59:59Z",
                carrier="Cainiao",
                reason="bank said so",
                parcel_id="2",
                shipment_id="BOX-1",
                buyer_country="br",
                tracking_number="lp 0012",
            )
        ),
        GOOD,
    ),  # fmt: skip
    ("an AliExpress word", batch(platform(fund_status="NOT_PAY", frozen_status="IN_FROZEN")), GOOD),
    ("an unknown word holds, it is no error", batch(platform(status="等待您发货")), GOOD),
    ("a logistics status", batch(platform(logistics_status="init")), GOOD),
    ("an unknown field, kept", batch(event(erp_ref={"line": 7})), GOOD),
    ("4 minutes ahead", batch(event(occurred_at=in_minutes(4))), GOOD),
    ("1,000 events", batch(*(event(event_id=f"e-{n}") for n in range(1000))), GOOD),
    ("64-character ids", batch(event(event_id="e" * 64, order_id=("AZaz09_-.:" * 7)[:64])), GOOD),
    ("no events", batch(), BAD),
    ("1,001 events", batch(*(event(event_id=f"e-{n}") for n in range(1001))), BAD),
    ("not a list", {"events": {"e": 1}}, BAD),
    ("no events key", {"event": []}, BAD),
    ("a list for a body", [event()], BAD),
    ("a string for a body", "events", BAD),
    ("an event that is no object", batch(7), BAD),
    ("no event_id", batch(event(event_id=...)), BAD),
    ("no occurred_at", batch(event(occurred_at=...)), BAD),
    ("no type", batch(event(type=...)), BAD),
    ("no status", batch(event(status=...)), BAD),
    ("a number for an id", batch(event(order_id=7)), BAD),
    ("a space in an id", batch(event(order_id="a b")), BAD),
    ("65 characters of id", batch(event(event_id="e" * 65)), BAD),
    ("a non-ASCII id", batch(event(store_id="店-1")), BAD),
    ("an unknown type", batch(event(type="weather")), BAD),
    ("a status of another type", batch(event(status="closed")), BAD),
    ("a status in capitals", batch(event(status="PAID")), BAD),
    ("a recorded notice without its number", batch(event(type="shipping_notice", status="recorded")), BAD),
    (
        "a recorded notice with a null number",
        batch(event(type="shipping_notice", status="recorded", tracking_number=None)),
        BAD,
    ),  # fmt: skip
    ("a time without an offset", batch(event(occurred_at="2026-11-11T00:05:00")), BAD),
    ("a date only", batch(event(occurred_at="2026-11-11")), BAD),
    ("an impossible date", batch(event(occurred_at="2026-02-30T00:00:00Z")), BAD),
    ("full-width digits", batch(event(occurred_at="２０２６-11-11T00:05:00Z")), BAD),
    ("a unix time", batch(event(occurred_at=1731254700)), BAD),
    # Built when the module is collected, judged minutes later in a long parallel run: far enough
    # ahead that it is still beyond the 5-minute tolerance then.
    ("an hour ahead", batch(event(occurred_at=in_minutes(60))), BAD),
    ("a bad ship_by", batch(event(ship_by="soon")), BAD),
    ("an empty tracking number", batch(event(tracking_number="")), BAD),
    ("a blank tracking number", batch(event(tracking_number="   ")), BAD),
    ("129 characters of tracking number", batch(event(tracking_number="L" * 129)), BAD),
    ("a blank carrier", batch(event(carrier="  ")), BAD),
    ("1,001 characters of reason", batch(event(reason="r" * 1001)), BAD),
    ("NUL in a reason", batch(event(reason="a\x00b")), BAD),
    ("a number for a carrier", batch(event(carrier=5)), BAD),
    ("three letters of country", batch(event(buyer_country="BRA")), BAD),
    ("no platform", batch(event(type="platform_status", status="WAIT_SELLER_SEND_GOODS")), BAD),
    ("another platform", batch(platform(platform="amazon")), BAD),
    ("no word at all", batch(platform(status="WAIT_SELLER\n")), BAD),
    ("a word with =", batch(platform(status="A=B")), BAD),
    ("a list for a word", batch(platform(fund_status=["NOT_PAY"])), BAD),
    ("65 characters of word", batch(platform(end_reason="x" * 65)), BAD),
    ("a number for a logistics status", batch(platform(logistics_status=5)), BAD),
    ("unknown fields over 16 KiB", batch(event(erp_blob="x" * UNKNOWN_FIELDS_BYTES)), BAD),
]

CHECK_BODIES: list[tuple[str, object, bool]] = [
    ("an empty object", {}, GOOD),
    ("a station, an operator, a parcel", {"station_id": "pack-01", "operator": "li", "parcel_id": "2"}, GOOD),
    ("nulls", {"station_id": None, "operator": None, "parcel_id": None}, GOOD),
    ("an unknown field", {"shift": "night"}, GOOD),
    ("a list", ["pack-01"], BAD),
    ("a string", "pack-01", BAD),
    ("a space in the station", {"station_id": "pack 01"}, BAD),
    ("a number for the station", {"station_id": 1}, BAD),
    ("an empty station", {"station_id": ""}, BAD),
    ("a slash in the parcel", {"parcel_id": "1/2"}, BAD),
    ("a number for the parcel", {"parcel_id": 2}, BAD),
    ("65 characters of parcel", {"parcel_id": "p" * 65}, BAD),
    ("an empty operator", {"operator": ""}, BAD),
    ("a blank operator", {"operator": "   "}, BAD),
    ("129 characters of operator", {"operator": "o" * 129}, BAD),
    ("a list for the operator", {"operator": ["li"]}, BAD),
    ("NUL in the operator", {"operator": "li\x00"}, BAD),
]

BATCH_CHECK_BODIES: list[tuple[str, object, bool]] = [
    ("one id", {"order_ids": ["o-1"]}, GOOD),
    ("a repeated id", {"order_ids": ["o-1", "o-1"]}, GOOD),
    ("20,000 ids", {"order_ids": [f"o-{n}" for n in range(20_000)]}, GOOD),
    ("no ids", {"order_ids": []}, BAD),
    ("20,001 ids", {"order_ids": [f"o-{n}" for n in range(20_001)]}, BAD),
    ("no order_ids", {}, BAD),
    ("null", {"order_ids": None}, BAD),
    ("a string", {"order_ids": "o-1"}, BAD),
    ("an object", {"order_ids": {"o-1": 1}}, BAD),
    ("a list for a body", ["o-1"], BAD),
    ("a bad id among good ones", {"order_ids": ["o-1", "a b"]}, BAD),
    ("a number among the ids", {"order_ids": ["o-1", 5]}, BAD),
    ("NUL in an id", {"order_ids": ["a\x00"]}, BAD),
]


def model_accepts(model: type[BaseModel], body: object) -> bool:
    # A body that is no JSON object is refused by the route before the model (both say so).
    if not isinstance(body, dict):
        return False
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


def parser_accepts(parse, body: object) -> bool:
    try:
        parse(body)
    except ValidationFailed:
        return False
    return True


def names(table: list[tuple[str, object, bool]]) -> list[str]:
    return [name for name, _, _ in table]


@pytest.mark.parametrize("name, body, accepted", EVENT_BODIES, ids=names(EVENT_BODIES))
def test_the_events_parser_and_its_model_agree(name, body, accepted):
    assert parser_accepts(lambda b: parse_batch(b, datetime.now(UTC)), body) is accepted
    assert model_accepts(EventBatch, body) is accepted


@pytest.mark.parametrize("name, body, accepted", CHECK_BODIES, ids=names(CHECK_BODIES))
def test_the_check_parser_and_its_model_agree(name, body, accepted):
    assert parser_accepts(lambda b: parse_check("o-1", b), body) is accepted
    assert model_accepts(CheckBody, body) is accepted


@pytest.mark.parametrize("name, body, accepted", BATCH_CHECK_BODIES, ids=names(BATCH_CHECK_BODIES))
def test_the_batch_check_parser_and_its_model_agree(name, body, accepted):
    assert parser_accepts(parse_batch_ids, body) is accepted
    assert model_accepts(BatchCheckBody, body) is accepted


def test_a_check_without_a_body_is_a_check_of_parcel_1():
    # The one body no model can describe: none at all (the OpenAPI body is optional).
    request = parse_check("o-1", None)
    assert (request.order_id, request.parcel_id, request.station_id) == ("o-1", "1", None)


# -- and for bodies nobody wrote down --------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
ids = st.from_regex(r"[A-Za-z0-9_.:\-]{1,64}", fullmatch=True) | st.text(max_size=66)
texts = st.text(max_size=130) | st.sampled_from(["", " ", "\u3000", "\x1c", "a\x00", "x" * 1001])
times = st.sampled_from(
    ["2026-11-11T00:05:00+08:00", "2026-11-11T00:05:00Z", "2026-11-11 00:05:00z", "2026-11-11T00:05:00", "x"]
) | st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)
events = st.fixed_dictionaries(
    {"event_id": ids, "order_id": ids, "type": st.sampled_from(["payment", "shipping_notice", "platform_status", "x"]),
     "status": st.sampled_from(["paid", "recorded", "awaiting_tracking", "WAIT_SELLER_SEND_GOODS", "a=b", ""]),
     "occurred_at": times},
    optional={"store_id": ids | json_values, "tracking_number": texts | json_values, "carrier": texts,
              "reason": texts, "platform": st.sampled_from(["aliexpress", "amazon"]) | json_values,
              "buyer_country": st.text(max_size=3) | json_values, "ship_by": times | json_values,
              "fund_status": texts | json_values, "logistics_status": texts | json_values, "extra": json_values},
)  # fmt: skip
FUZZ = settings(max_examples=300, deadline=None)


@FUZZ
@given(body=st.fixed_dictionaries({"events": st.lists(events | json_values, max_size=3)}) | json_values)
def test_the_events_parser_and_its_model_agree_on_any_body(body):
    now = datetime.now(UTC)
    assert parser_accepts(lambda b: parse_batch(b, now), body) == model_accepts(EventBatch, body), body


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {}, optional={"station_id": ids | json_values, "parcel_id": ids | json_values, "operator": texts | json_values}
    )
    | json_values
)
def test_the_check_parser_and_its_model_agree_on_any_body(body):
    if body is not None:  # no body at all is a check of parcel 1 (above)
        assert parser_accepts(lambda b: parse_check("o-1", b), body) == model_accepts(CheckBody, body), body


@FUZZ
@given(body=st.fixed_dictionaries({"order_ids": st.lists(ids | json_values, max_size=4)}) | json_values)
def test_the_batch_check_parser_and_its_model_agree_on_any_body(body):
    assert parser_accepts(parse_batch_ids, body) == model_accepts(BatchCheckBody, body), body
