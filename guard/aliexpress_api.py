"""The AliExpress open platform, as the guard calls it: one adapter for the one outside thing.

What it speaks, from the platform's public documentation and the public SDKs that model
it (docs/integration.md, "AliExpress without an ERP", lists the sources):

- Gateway `https://api-sg.aliexpress.com`: business APIs are POSTed to `/sync` with
  `method=<api name>`; system APIs such as `/auth/token/refresh` to `/rest<path>`
  (IOP SDK for Python, iop-sdk-python-20220609; the platform's "Refresh token" page).
- Every call carries `app_key`, `timestamp` (milliseconds), `sign_method=sha256`, the
  shop's `session` (its access token) for business APIs, and `sign`: HMAC-SHA256 keyed
  with the app secret over the parameters sorted by name and concatenated as
  name+value, prefixed with the API path for `/rest` APIs; upper-case hex.
- A failure is `{"type", "code", "message", "request_id"}` with `code` other than "0"
  (IOP SDK's IopResponse). `IllegalAccessToken` is an expired or revoked token;
  `ApiCallLimit` is throttling ("This ban will last N more seconds").
- `aliexpress.solution.order.get` (param0: OrderQuery — `modified_date_start/end` in US
  Pacific time, `order_status` or `order_status_list`, `current_page`, `page_size` at
  most 50; FINISH orders are listed only when asked for alone) answers
  `{"aliexpress_solution_order_get_response": {"result": {"success", "total_count",
  "total_page", "current_page", "target_list": {"order_dto": [...]}, ...}}}`.
- `aliexpress.solution.order.info.get` (param1: OrderDetailQuery — `order_id`) answers
  `result.data` with `gmt_modified`, the status fields and `logistic_info_list`.
- `aliexpress.solution.order.fulfill` (`service_name`, `logistics_no`, `send_type`,
  `out_ref`, optional `tracking_website`, `description`) answers `result.result_success`.

The guard's tests run this adapter against a local fake gateway built from those shapes:
that proves the client against the documentation, not against the live platform.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from guard.platform_time import to_wall_clock

DEFAULT_GATEWAY = "https://api-sg.aliexpress.com"
PAGE_SIZE = 50  # the order list's documented maximum per page
SIGN_METHOD = "sha256"
ORDER_LIST = "aliexpress.solution.order.get"
ORDER_DETAIL = "aliexpress.solution.order.info.get"
FULFILL = "aliexpress.solution.order.fulfill"
TOKEN_REFRESH = "/auth/token/refresh"
# Answers that mean "the shop's token no longer works": refresh it, then try once more.
TOKEN_CODES = {"IllegalAccessToken", "InvalidAccessToken", "AccessTokenExpired", "SessionExpired", "InvalidSession"}
_BAN = re.compile(r"(\d+(?:\.\d+)?)\s*(?:more\s+)?seconds?", re.IGNORECASE)


class PlatformError(Exception):
    """The platform did not do what was asked. `code` is its own word where it gave one."""

    def __init__(self, message: str, code: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after


class Throttled(PlatformError):
    """Too many calls (or the gateway is busy): wait, then call again."""


class Unreachable(PlatformError):
    """No usable answer (network, timeout, 5xx, not JSON): call again later."""


class TokenExpired(PlatformError):
    """The shop's access token is expired or revoked: refresh it."""


class Refused(PlatformError):
    """A definite no (bad signature, bad parameters, not allowed): calling again will not help."""


def sign(secret: str, params: Mapping[str, str], api_path: str | None = None) -> str:
    """The IOP signature: HMAC-SHA256 over sorted name+value pairs (the API path first for /rest APIs)."""
    text = (api_path or "") + "".join(f"{name}{params[name]}" for name in sorted(params))
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


@dataclass(frozen=True)
class Tokens:
    access_token: str
    access_expires_at: datetime | None
    refresh_token: str | None
    refresh_expires_at: datetime | None


@dataclass(frozen=True)
class OrderPage:
    orders: list[dict]
    total_count: int
    total_page: int
    current_page: int


class OpenPlatform:
    """Calls to the open platform. Stateless apart from its HTTP connection pool."""

    def __init__(
        self,
        gateway_url: str,
        app_key: str,
        app_secret: str,
        *,
        timeout_s: float = 20.0,
        http: httpx.Client | None = None,
        millis: Callable[[], int] = lambda: int(time.time() * 1000),
    ):
        self._gateway = gateway_url.rstrip("/")
        self._key = app_key
        self._secret = app_secret
        self._http = http or httpx.Client(timeout=timeout_s)
        self._millis = millis

    def close(self) -> None:
        self._http.close()

    # --- the business APIs ------------------------------------------------------------

    def order_page(
        self, access_token: str, *, modified_from: datetime, modified_to: datetime, page: int, finished: bool
    ) -> OrderPage:
        """One page of orders modified in [from, to], US Pacific on the wire; FINISH ones only if `finished`."""
        query: dict[str, Any] = {
            "modified_date_start": to_wall_clock(modified_from),
            "modified_date_end": to_wall_clock(modified_to),
            "current_page": page,
            "page_size": PAGE_SIZE,
        }
        if finished:
            query["order_status"] = "FINISH"  # the list leaves finished orders out unless asked for alone
        result = self.call(ORDER_LIST, {"param0": json.dumps(query)}, access_token)
        _succeeded(result, ORDER_LIST)
        return OrderPage(
            orders=items(result.get("target_list")),
            total_count=_int(result.get("total_count")),
            total_page=_int(result.get("total_page")),
            current_page=_int(result.get("current_page"), page),
        )

    def order_detail(self, access_token: str, order_id: str) -> dict:
        result = self.call(ORDER_DETAIL, {"param1": json.dumps({"order_id": int(order_id)})}, access_token)
        _succeeded(result, ORDER_DETAIL)
        data = result.get("data")
        if not isinstance(data, dict):
            raise Unreachable(f"{ORDER_DETAIL} answered without data for order {order_id}")
        return data

    def fulfill(
        self,
        access_token: str,
        *,
        order_id: str,
        service_name: str,
        tracking_number: str,
        send_type: str,
        tracking_website: str | None = None,
    ) -> None:
        """Declare the shipment (the shipping notice). Returns only on the platform's success answer."""
        params = {
            "out_ref": order_id,
            "service_name": service_name,
            "logistics_no": tracking_number,
            "send_type": send_type,
        }
        if tracking_website:
            params["tracking_website"] = tracking_website
        result = self.call(FULFILL, params, access_token)
        if result.get("result_success") is not True:
            code = result.get("error_code")
            raise Refused(str(result.get("error_message") or "the platform did not confirm the shipment"), code)

    # --- the protocol -----------------------------------------------------------------

    def call(self, method: str, params: Mapping[str, str], access_token: str) -> dict:
        """A business API through /sync: its `result` object, or a PlatformError."""
        system = {
            "app_key": self._key,
            "timestamp": str(self._millis()),
            "sign_method": SIGN_METHOD,
            "method": method,
            "session": access_token,
            "format": "json",
            "simplify": "false",
        }
        body = self._post(f"{self._gateway}/sync", {**system, **params}, None)
        response = body.get(method.replace(".", "_") + "_response")
        if not isinstance(response, dict) or not isinstance(response.get("result"), dict):
            raise Unreachable(f"{method} answered without a result")
        return response["result"]

    def refresh(self, refresh_token: str) -> Tokens:
        """A new token pair for the shop (/auth/token/refresh)."""
        params = {
            "app_key": self._key,
            "timestamp": str(self._millis()),
            "sign_method": SIGN_METHOD,
            "refresh_token": refresh_token,
        }
        body = self._post(f"{self._gateway}/rest{TOKEN_REFRESH}", params, TOKEN_REFRESH)
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise Refused("the token refresh answered without an access token", body.get("code"))
        return Tokens(
            access_token=access,
            access_expires_at=_millis_time(body.get("expire_time")) or _after(body.get("expires_in")),
            refresh_token=body.get("refresh_token") or refresh_token,
            refresh_expires_at=_millis_time(body.get("refresh_token_valid_time"))
            or _after(body.get("refresh_expires_in")),
        )

    def _post(self, url: str, params: dict[str, str], api_path: str | None) -> dict:
        signed = {**params, "sign": sign(self._secret, params, api_path)}
        try:
            answer = self._http.post(url, data=signed)
        except httpx.HTTPError as exc:
            raise Unreachable(f"the gateway did not answer ({type(exc).__name__})") from None
        if answer.status_code == 429:
            raise Throttled("the gateway answered 429", "429", _retry_after(answer.headers.get("Retry-After")))
        if answer.status_code >= 500:
            raise Unreachable(f"the gateway answered {answer.status_code}", str(answer.status_code))
        try:
            body = answer.json()
        except ValueError:
            raise Unreachable(f"the gateway answered {answer.status_code} with no JSON") from None
        if not isinstance(body, dict):
            raise Unreachable("the gateway answered with something other than a JSON object")
        nested = body.get("error_response")
        error: dict = nested if isinstance(nested, dict) else body
        code = error.get("code")
        if code is not None and str(code) != "0":
            raise _error(str(code), str(error.get("message") or error.get("msg") or error.get("sub_msg") or ""), error)
        if answer.status_code >= 400:
            raise Refused(f"the gateway answered {answer.status_code}", str(answer.status_code))
        return body


def items(value: Any) -> list[dict]:
    """A list in a TOP answer: bare, or wrapped in an object named after its type ({"order_dto": [...]})."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    if isinstance(value, dict):
        for inner in value.values():
            if isinstance(inner, list):
                return [item for item in inner if isinstance(item, dict)]
    return []


def _error(code: str, message: str, error: Mapping[str, Any]) -> PlatformError:
    text = f"{code}: {message}".strip(": ")
    sub_code = str(error.get("sub_code") or "")
    if "limit" in code.lower() or "limit" in sub_code.lower():
        ban = _BAN.search(message)
        return Throttled(text, code, float(ban.group(1)) if ban else None)
    if code in TOKEN_CODES or "token" in sub_code.lower() or "session" in sub_code.lower():
        return TokenExpired(text, code)
    if str(error.get("type") or "").upper() == "SYSTEM" or code in ("ServiceTimeout", "ServiceUnavailable"):
        return Unreachable(text, code)
    return Refused(text, code)


def _succeeded(result: Mapping[str, Any], method: str) -> None:
    if result.get("success") is False:
        code = result.get("error_code")
        raise Refused(f"{method}: {result.get('error_message') or code or 'refused'}", str(code) if code else None)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _millis_time(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _after(seconds: Any) -> datetime | None:
    try:
        return datetime.now(UTC) + timedelta(seconds=int(seconds))
    except (TypeError, ValueError, OverflowError):
        return None


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
