"""Raw ZPL to a station's network label printer (TCP 9100, "raw"/JetDirect printing).

A page in a browser cannot open a printer socket, so for thermal printers on the
warehouse network the server sends the label itself, right after it is issued.
Configured per station: GUARD_STATION_PRINTERS="pack-01=10.0.0.21:9100,pack-02=10.0.0.22".
"""

from __future__ import annotations

import socket

RAW_PORT = 9100
SEND_TIMEOUT_S = 3.0


def parse_printers(text: str | None) -> dict[str, tuple[str, int]]:
    """`station=host[:port],…` → {station: (host, port)}. Raises ValueError with the bad entry."""
    printers: dict[str, tuple[str, int]] = {}
    for entry in (text or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        station, sep, address = entry.partition("=")
        host, _, port = address.strip().rpartition(":") if ":" in address else (address.strip(), "", str(RAW_PORT))
        if not sep or not station.strip() or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bad printer entry {entry!r}; use station=host[:port]")
        printers[station.strip()] = (host, int(port))
    return printers


def send_zpl(address: tuple[str, int], payload: bytes) -> str | None:
    """Send one label; returns None when the printer took it, else what went wrong."""
    try:
        with socket.create_connection(address, timeout=SEND_TIMEOUT_S) as connection:
            connection.sendall(payload)
        return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
