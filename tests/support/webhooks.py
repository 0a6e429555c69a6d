"""What a webhook receiver does with `Guard-Signature` (documented in docs/integration.md).

The guard only signs (guard/webhooks.py); the tests verify as an integrator would.
"""

from __future__ import annotations

import hashlib
import hmac


def verify(body: bytes, header: str, secret: str, now: int, tolerance_s: int = 300) -> bool:
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in fields if key == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in fields if key == "v1")
