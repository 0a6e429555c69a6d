"""Logging: JSON lines in production (or GUARD_LOG_FORMAT=json), readable text in development.

One line per request (guard/api/observe.py) and one per worker job, each with
its request id, the order id when there is one, the verdict when one was given,
and the duration. The request's fields live in a context variable, so a line
logged anywhere while a request is served carries its request id — including
in the thread-pool, which runs with a copy of the request's context.

Logs carry ids only: no fact payloads, no secrets (design, "Security").
"""

from __future__ import annotations

import logging
import logging.config
import random
import time
from contextvars import ContextVar, Token
from typing import Any

import orjson

from guard.config import Settings
from guard.escape import escape_controls

# The fields of the request (or job) being served; a dict, so a service running
# in a copied context can still add to it (`annotate`).
_context: ContextVar[dict[str, Any] | None] = ContextVar("guard_log_context", default=None)

# The attributes every LogRecord has; anything else was passed with `extra=`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}  # uvicorn's ANSI copy

# Keys shown first, in this order, in both formats.
_FIRST = ("request_id", "method", "route", "status", "order_id", "verdict", "job", "duration_ms")


def new_request_id() -> str:
    # 128 random bits like a uuid4's hex, without a getrandom() system call per request:
    # request ids correlate log lines, they guard nothing (random reseeds itself after a fork).
    return f"{random.getrandbits(128):032x}"


def bind(**fields: Any) -> Token:
    """Start a request's (or job's) context; `unbind` it with the returned token."""
    return _context.set(dict(fields))


def unbind(token: Token) -> None:
    _context.reset(token)


def annotate(**fields: Any) -> None:
    """Add fields to the current request's log line (no-op outside a request or job)."""
    context = _context.get()
    if context is not None:
        context.update({key: value for key, value in fields.items() if value is not None})


def context_fields() -> dict[str, Any]:
    return dict(_context.get() or {})


def current_request_id() -> str | None:
    context = _context.get()
    return context.get("request_id") if context else None


class ContextFilter(logging.Filter):
    """Stamps every record with the current request id (if any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = current_request_id()
            if request_id is not None:
                record.request_id = request_id
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    extras = {key: value for key, value in record.__dict__.items() if key not in _STANDARD and not key.startswith("_")}
    ordered = {key: extras.pop(key) for key in _FIRST if key in extras}
    ordered.update(sorted(extras.items()))
    return ordered


def _iso(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in _extras(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """`2026-11-11 00:05:13.123 INFO  guard.request  POST /v1/orders/{order_id}/check 200  order_id=… verdict=hold`

    One record, one line: control characters in the message and in every field are
    escaped (a `%0A` in a path must not forge a line). A traceback keeps its lines, each
    indented, so none of them can pass for a record of its own either.
    """

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        text = f"{stamp}.{int(record.msecs):03d} {record.levelname:<7} {record.name}  {escape_controls(record.getMessage())}"
        fields = [
            f"{escape_controls(str(key))}={escape_controls(str(value))}"
            for key, value in _extras(record).items()
            if key not in ("method", "route", "status") or record.name != "guard.request"
        ]
        if fields:
            text += "  " + " ".join(fields)
        if record.exc_info:
            text += _indented(self.formatException(record.exc_info))
        if record.stack_info:
            text += _indented(self.formatStack(record.stack_info))
        return text


def _indented(block: str) -> str:
    return "".join(f"\n  | {escape_controls(line)}" for line in block.splitlines())


def logging_config(settings: Settings, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for this process (uvicorn applies it in each of its workers)."""
    formatter = "guard.logs.JsonFormatter" if settings.logs_as_json else "guard.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "guard.logs.ContextFilter"}},
        "formatters": {"guard": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "guard",
                "filters": ["context"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own lines go through our handler; its access log is replaced
            # by guard.request (one line per request, with the route and request id).
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            # Celery says "received", "succeeded" and "sending due task" for every task;
            # guard.job says it once, with counts.
            "celery.app.trace": {"level": "WARNING"},
            "celery.worker.strategy": {"level": "WARNING"},
            "celery.beat": {"level": "WARNING"},
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }


def setup_logging(settings: Settings, level: str = "INFO") -> None:
    """Configure this process's logging (replaces whatever handlers the root logger had)."""
    logging.config.dictConfig(logging_config(settings, level))
    logging.captureWarnings(True)
