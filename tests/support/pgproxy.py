"""A TCP proxy the test controls, put between the guard and PostgreSQL.

The machine's PostgreSQL is shared with every other test: it is never stopped.
Instead the guard is pointed at this proxy, and the test breaks the path:

- `forward()`: bytes flow both ways (the normal state).
- `cut()`: every open connection is reset, and new ones are accepted and reset at
  once — what a crashed database host or a dropped route looks like to a client.
- `hang()`: connections are accepted and bytes are read, but nothing is passed on
  in either direction — a database that stalls (a full disk, a lock storm, a
  black-holed network). Held bytes stay held.
- `resume()`: back to forwarding; bytes held by `hang()` are passed on, as a
  healed network delivers what it buffered (a client may still be waiting).

Threads, not asyncio: one accepting thread and two pumps per connection, each pump
blocking on one socket with a short timeout so a mode change is seen promptly.
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import Literal

Mode = Literal["forward", "hang", "cut"]
_POLL_S = 0.1


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), not a polite FIN: the peer learns at once."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class _Link:
    """One client connection and its upstream connection, pumped by two threads.

    `close()` only marks the link closed and shuts the sockets down (which wakes
    the pumps); the thread that owns the link closes the sockets once both pumps
    are done, so no thread ever touches a closed (and maybe reused) descriptor.
    """

    def __init__(self, proxy: PgProxy, client: socket.socket):
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.closed = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="pgproxy-link", daemon=True).start()

    def _run(self) -> None:
        try:
            try:
                upstream = socket.create_connection(self.proxy.target, timeout=5)
            except OSError:
                return
            self.upstream = upstream
            if self.closed.is_set():  # cut while connecting
                return
            for sock in (self.client, upstream):
                sock.settimeout(_POLL_S)
            back = threading.Thread(target=self._pump, args=(upstream, self.client), name="pgproxy-down", daemon=True)
            back.start()
            self._pump(self.client, upstream)
            back.join()
        finally:
            self.close()
            _reset(self.client)
            if self.upstream is not None:
                _reset(self.upstream)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while not self.closed.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            # Hold the bytes while the proxy hangs; more wait in the kernel's buffers.
            if not self.proxy._wait_for_forwarding(self.closed):
                break
            if not self._send(target, data):
                break
        self.close()

    def _send(self, target: socket.socket, data: bytes) -> bool:
        # Not sendall(): with the socket's short timeout, a slow reader would look like an error.
        view = memoryview(data)
        while view:
            if self.closed.is_set():
                return False
            try:
                view = view[target.send(view) :]
            except TimeoutError:
                continue
            except OSError:
                return False
        return True

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for sock in (self.client, self.upstream):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.proxy._forget(self)


class PgProxy:
    """Listens on 127.0.0.1:<port> and forwards to `target` while the test lets it."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._mode: Mode = "forward"
        self._changed = threading.Condition()
        self._links: set[_Link] = set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self._listener.settimeout(_POLL_S)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, name="pgproxy-accept", daemon=True)
        self._acceptor.start()
        self.accepted = 0  # connections ever accepted (the guard's pool opening new ones shows here)

    # --- what the test does -------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return self._mode

    def url_for(self, database_url: str) -> str:
        """The same SQLAlchemy URL, through this proxy."""
        import sqlalchemy as sa

        url = sa.engine.make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def forward(self) -> None:
        self._set("forward")

    def resume(self) -> None:
        """Forward again (after `cut` or `hang`); whatever `hang` held is passed on now."""
        self._set("forward")

    def hang(self) -> None:
        self._set("hang")

    def cut(self) -> None:
        self._set("cut")
        with self._changed:
            links = list(self._links)
        for link in links:
            link.close()

    def open_connections(self) -> int:
        with self._changed:
            return len(self._links)

    def close(self) -> None:
        self._stopped.set()
        with self._changed:
            self._changed.notify_all()
            links = list(self._links)
        for link in links:
            link.close()
        self._acceptor.join(timeout=2)
        self._listener.close()

    # --- inside ------------------------------------------------------------------------

    def _set(self, mode: Mode) -> None:
        with self._changed:
            self._mode = mode
            self._changed.notify_all()

    def _wait_for_forwarding(self, closed: threading.Event) -> bool:
        """Block while hanging; False if the link was closed (or the proxy cut) meanwhile."""
        with self._changed:
            while self._mode == "hang" and not closed.is_set() and not self._stopped.is_set():
                self._changed.wait(_POLL_S)
            return self._mode == "forward" and not closed.is_set() and not self._stopped.is_set()

    def _forget(self, link: _Link) -> None:
        with self._changed:
            self._links.discard(link)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self._mode == "cut":
                _reset(client)  # as good as "connection refused" to the client, and instant
                continue
            link = _Link(self, client)
            with self._changed:
                self._links.add(link)
            link.start()
