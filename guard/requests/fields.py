"""The field rules every request shares: each one a validator and its JSON Schema at once.

A rule is a plain function (the hand parsers of the busy routes call the same
functions), wrapped for pydantic with the schema that documents it. The messages
are the guard's own, as the contract's error details have always carried them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeGuard, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, WithJsonSchema

from guard.errors import ValidationFailed, problem
from guard.events import parse_timestamp
from guard.ids import ID_PATTERN, ID_RULE
from guard.parcels import normal_tracking

ID_REGEX = r"^[A-Za-z0-9_.:\-]{1,64}$"  # guard.ids.ID_PATTERN, anchored for JSON Schema
# Not blank, no NUL (PostgreSQL text cannot hold it): what `value.strip()` and the NUL checks refuse.
TEXT_REGEX = r"^[^\x00]*\S[^\x00]*$"
REASON_LIMIT = 1000
MAX_PAGE = 1000
REASON_RULE = "a written reason is required (1 to 1,000 characters)"

M = TypeVar("M", bound=BaseModel)


class RequestModel(BaseModel):
    """A request body or query. Fields the guard does not know are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# --- the rules, as plain functions ---------------------------------------------------------------------------


def is_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def is_text(value: object, limit: int) -> TypeGuard[str]:
    """Non-blank text of at most `limit` characters, without NUL."""
    return isinstance(value, str) and bool(value.strip()) and len(value) <= limit and "\x00" not in value


def is_whole(value: object, low: int, high: int) -> bool:
    """A whole number in range: ASCII digits only, everywhere (`int()` would also take "٣", " 3", "+3", "3_0")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return low <= value <= high
    return (
        isinstance(value, str)
        and 0 < len(value) <= 9
        and value.isascii()
        and value.isdigit()
        and low <= int(value) <= high
    )


def tracking_normal(value: object) -> str | None:
    """A tracking number in normal form (NFKC, no whitespace, upper case), or None if it is none."""
    if not is_text(value, 128):
        return None
    normal = normal_tracking(value)
    return normal if 0 < len(normal) <= 128 else None


# --- the rules, as pydantic types ----------------------------------------------------------------------------


def _id(value: Any) -> str:
    if not is_id(value):
        raise ValueError(ID_RULE)
    return value


def text_rule(limit: int, rule: str, *, strip: bool = False):
    def check(value: Any) -> str:
        if not is_text(value, limit):
            raise ValueError(rule)
        return value.strip() if strip else value

    return check


def _tracking(value: Any) -> str:
    normal = tracking_normal(value)
    if normal is None:
        raise ValueError("a tracking number: 1 to 128 characters besides spaces")
    return normal


def _timestamp(value: Any) -> datetime:
    return parse_timestamp(value)  # its ValueError names the rule


def _whole(low: int, high: int):
    def check(value: Any) -> int:
        if not is_whole(value, low, high):
            raise ValueError(f"a whole number from {low} to {high} (ASCII digits)")
        return int(value)

    return check


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    flag = {"true": True, "false": False}.get(value.lower()) if isinstance(value, str) else None
    if flag is None:
        raise ValueError("true or false")
    return flag


def text_schema(limit: int, description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": TEXT_REGEX, "description": description}


Id = Annotated[
    str,
    BeforeValidator(_id),
    WithJsonSchema({"type": "string", "pattern": ID_REGEX, "minLength": 1, "maxLength": 64, "description": ID_RULE}),
]
Operator = Annotated[
    str,
    BeforeValidator(text_rule(128, "must be a non-empty string of at most 128 characters")),
    WithJsonSchema(text_schema(128, "Who is packing (free text, at most 128 characters).")),
]
WrittenReason = Annotated[
    str,
    BeforeValidator(text_rule(REASON_LIMIT, REASON_RULE, strip=True)),
    WithJsonSchema(text_schema(REASON_LIMIT, "A written reason (1 to 1,000 characters), kept in the audit.")),
]
TrackingNumber = Annotated[
    str,
    BeforeValidator(_tracking),
    WithJsonSchema(text_schema(128, "Compared and stored in normal form: NFKC, without whitespace, upper case.")),
]
Timestamp = Annotated[
    datetime,
    BeforeValidator(_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time", "description": "RFC 3339 with an offset."}),
]
Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "boolean"})]


def Whole(low: int, high: int) -> Any:
    """A whole number from `low` to `high`; in a query, ASCII digits only."""
    return Annotated[
        int,
        BeforeValidator(_whole(low, high)),
        WithJsonSchema({"type": "integer", "minimum": low, "maximum": high}),
    ]


PageLimit = Whole(1, MAX_PAGE)


# --- refusals -----------------------------------------------------------------------------------------------


def message_of(error: Any) -> str:
    """A pydantic error's message in the guard's words: our own rule, or pydantic's sentence."""
    if error.get("type") == "missing":
        return "is required"
    message = str(error.get("msg") or "invalid")
    return message.removeprefix("Value error, ")


def details_of(errors: list[Any], drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The contract's details, one per problem: `field` is the dotted path, `index` null."""
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in drop]
        details.append(problem(".".join(loc), message_of(error)))
    return details or [problem("", "invalid request")]


def validated(model: type[M], body: object, shape: str = "") -> M:
    """`body` as `model`, or ValidationFailed naming every problem."""
    if not isinstance(body, dict):
        raise ValidationFailed([problem("", f"the body must be a JSON object{': ' + shape if shape else ''}")])
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ValidationFailed(details_of(exc.errors())) from None
