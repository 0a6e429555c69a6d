"""A fake AliExpress open-platform gateway: a real HTTP server on 127.0.0.1, started by a test.

Built from the documented request and answer shapes (see guard/aliexpress_api.py for the
sources): form-encoded POSTs to /sync (business APIs, `method=`) and /rest/auth/... (system
APIs), every one signed with HMAC-SHA256 and checked here; IOP error objects; the order
list's paging (at most 50 a page), its filter by modification time in US Pacific wall-clock
time, and its rule that FINISH orders come only when asked for alone. It proves the
guard's client against the documentation, not against the live platform.

Knobs a test turns: `throttle` (answer ApiCallLimit that many times), `fail` (answer HTTP
500 that many times), `expire_token()`, `lagging` (older snapshots of orders, answered
beside the current ones, as a lagging replica would), and `calls` to see what was asked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from guard.platform_time import to_wall_clock

MAX_PAGE_SIZE = 50
TIMESTAMP_TOLERANCE_MS = 15 * 60 * 1000


def expected_sign(secret: str, params: dict[str, str], api_path: str = "") -> str:
    text = api_path + "".join(f"{k}{params[k]}" for k in sorted(params))
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


class FakeGateway:
    def __init__(self, app_key: str = "500100", app_secret: str = "s3cret-app"):
        self.app_key, self.app_secret = app_key, app_secret
        self.orders: dict[str, dict] = {}  # order_id → the list's OrderDto
        self.details: dict[str, dict] = {}  # order_id → extra detail fields (logistic_info_list, …)
        self.lagging: list[dict] = []  # older OrderDto snapshots, answered beside the current ones
        self.access_token, self.refresh_token = "at-1", "rt-1"
        self.token_valid = True
        self.throttle = 0
        self.fail = 0
        self.fulfilled: list[dict] = []
        self.fulfill_refuses: str | None = None
        self.calls: list[dict] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeGateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what the shop has ----------------------------------------------------------------

    def put_order(self, order_id: str, status: str, modified: datetime, **fields) -> dict:
        """An order as the list answers it; `modified` is an aware time, written in Pacific."""
        dto = {
            "order_id": int(order_id),
            "order_status": status,
            "gmt_update": to_wall_clock(modified),
            "gmt_create": to_wall_clock(modified),
            "fund_status": "PAY_SUCCESS",
            "frozen_status": "NO_FROZEN",
            "issue_status": "NO_ISSUE",
            "logistics_status": "WAIT_SELLER_SEND_GOODS",
            "end_reason": "",
            "product_list": {"order_product_dto": [{"product_id": 1, "product_count": 1}]},
            **fields,
        }
        with self._lock:
            self.orders[order_id] = dto
        return dto

    def expire_token(self) -> None:
        self.token_valid = False

    def queries(self, method: str = "aliexpress.solution.order.get") -> list[dict]:
        return [json.loads(call["param0"]) for call in self.calls if call.get("method") == method]

    # --- the server -----------------------------------------------------------------------

    def _handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                status, body = gateway._answer(self.path, params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _answer(self, path: str, params: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            if self.fail:
                self.fail -= 1
                return 500, {"message": "internal error"}
            given = params.pop("sign", "")
            api_path = path[len("/rest") :] if path.startswith("/rest") else ""
            if params.get("app_key") != self.app_key:
                return 200, _error("ISV", "InvalidAppKey", "The specified App Key is invalid")
            if given != expected_sign(self.app_secret, params, api_path):
                return 200, _error(
                    "ISV", "IncompleteSignature", "The request signature does not conform to platform standards"
                )
            if (
                params.get("sign_method") != "sha256"
                or abs(int(params.get("timestamp", "0")) - time.time() * 1000) > TIMESTAMP_TOLERANCE_MS
            ):
                return 200, _error("ISV", "InvalidTimestamp", "The specified timestamp is not valid")
            self.calls.append({"path": path, **params})
            if self.throttle:
                self.throttle -= 1
                return 200, _error(
                    "ISP", "ApiCallLimit", "The request has exceeded the limit. This ban will last 1 more seconds"
                )
            if path == "/rest/auth/token/refresh":
                return 200, self._refresh(params)
            if path != "/sync":
                return 404, _error("ISV", "InvalidApiPath", "The specified API path is invalid")
            if params.get("session") != self.access_token or not self.token_valid:
                return 200, _error("ISV", "IllegalAccessToken", "The specified access token is invalid or expired")
            method = params.get("method")
            if method == "aliexpress.solution.order.get":
                result = self._order_list(json.loads(params["param0"]))
            elif method == "aliexpress.solution.order.info.get":
                result = self._order_detail(json.loads(params["param1"]))
            elif method == "aliexpress.solution.order.fulfill":
                result = self._fulfill(params)
            else:
                return 200, _error("ISV", "InvalidApiName", "The specified API name is invalid")
            return 200, {method.replace(".", "_") + "_response": {"result": result, "request_id": _request_id()}}

    def _refresh(self, params: dict) -> dict:
        if params.get("refresh_token") != self.refresh_token:
            return _error("ISV", "IllegalRefreshToken", "The specified refresh token is invalid or expired")
        number = int(self.access_token.rsplit("-", 1)[1]) + 1
        self.access_token, self.refresh_token, self.token_valid = f"at-{number}", f"rt-{number}", True
        now_ms = int(time.time() * 1000)
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expire_time": now_ms + 7 * 86_400_000,
            "refresh_token_valid_time": now_ms + 30 * 86_400_000,
            "expires_in": 7 * 86_400,
            "refresh_expires_in": 30 * 86_400,
            "code": "0",
            "request_id": _request_id(),
        }

    def _order_list(self, query: dict) -> dict:
        size, page = int(query.get("page_size", 0)), int(query.get("current_page", 0))
        if not 1 <= size <= MAX_PAGE_SIZE or page < 1:
            return {"success": False, "error_code": "isv.param-invalid", "error_message": "page_size is 1 to 50"}
        start, end = query.get("modified_date_start"), query.get("modified_date_end")
        finished = query.get("order_status") == "FINISH"

        def wanted(dto: dict) -> bool:
            # Wall-clock Pacific times compared as written: the platform's own view of them.
            in_range = (start is None or dto["gmt_update"] >= start) and (end is None or dto["gmt_update"] <= end)
            return in_range and (dto["order_status"] == "FINISH") == finished

        found = [dto for dto in [*self.orders.values(), *self.lagging] if wanted(dto)]
        found.sort(key=lambda dto: (-dto["order_id"], dto["gmt_update"]))  # not in time order
        pages = (len(found) + size - 1) // size
        return {
            "success": True,
            "total_count": len(found),
            "total_page": pages,
            "current_page": page,
            "page_size": size,
            "target_list": {"order_dto": found[(page - 1) * size : page * size]},
            "time_stamp": to_wall_clock(datetime.now().astimezone()),
        }

    def _order_detail(self, query: dict) -> dict:
        order_id = str(query.get("order_id"))
        dto = self.orders.get(order_id)
        if dto is None:
            return {"success": False, "error_code": "order.not.exist", "error_message": "order does not exist"}
        data = {
            "id": dto["order_id"],
            "gmt_modified": dto["gmt_update"],
            "order_status": dto["order_status"],
            "fund_status": dto["fund_status"],
            "frozen_status": dto["frozen_status"],
            "issue_status": dto["issue_status"],
            "logistics_status": dto["logistics_status"],
            "order_end_reason": dto["end_reason"],
            **self.details.get(order_id, {}),
        }
        return {"success": True, "data": data}

    def _fulfill(self, params: dict) -> dict:
        if self.fulfill_refuses:
            return {"result_success": False, "error_code": "F00-00-10007", "error_message": self.fulfill_refuses}
        self.fulfilled.append({k: params.get(k) for k in ("out_ref", "service_name", "logistics_no", "send_type")})
        return {"result_success": True}


def _error(kind: str, code: str, message: str) -> dict:
    return {"type": kind, "code": code, "message": message, "request_id": _request_id()}


def _request_id() -> str:
    return uuid.uuid4().hex[:13]
