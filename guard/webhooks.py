"""Signed webhook delivery to the ERP (contract, "Notifications").

`Guard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, one
`v1=` per configured secret, so a receiver can rotate keys without a gap.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import httpx

SIGNATURE_HEADER = "Guard-Signature"
TIMEOUT = httpx.Timeout(5.0, connect=2.0)


def sign(body: bytes, secrets: list[str], timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}"]
    parts += [f"v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}" for secret in secrets]
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class Delivery:
    ok: bool
    error: str | None = None


class WebhookSender:
    """POSTs one notification; a 2xx is the only success."""

    def __init__(self, url: str, secrets: list[str]):
        self.url = url
        self.secrets = secrets
        self._client = httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def send(self, notification_id: str, body: bytes, timestamp: int) -> Delivery:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "dispatch-guard",
            "Guard-Notification-Id": notification_id,
        }
        if self.secrets:
            headers[SIGNATURE_HEADER] = sign(body, self.secrets, timestamp)
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Delivery(False, f"{type(exc).__name__}: {exc}"[:1000])
        if 200 <= response.status_code < 300:
            return Delivery(True)
        return Delivery(False, f"HTTP {response.status_code}")

    def close(self) -> None:
        self._client.close()
