"""A throwaway guard on the simulation's clock: `python -m guard.simulate.server --port P --clock FILE`.

The same application `guard serve` runs (configured by the usual `GUARD_*`
variables), with one difference: `guard.clock.utcnow` — the one place the
service layer reads the time — reads the replay's `FileClock`. It is swapped
before any other guard module is imported, since they take `utcnow` by name.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m guard.simulate.server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clock", required=True, help="the replay's clock file")
    args = parser.parse_args(argv)

    import guard.clock
    from guard.simulate.clock import FileClock

    original = guard.clock.utcnow
    clock = FileClock(args.clock)
    guard.clock.utcnow = clock.now

    import uvicorn

    from guard.api.app import create_app
    from guard.config import Settings

    app = create_app(Settings())
    stale = sorted(
        name
        for name, module in list(sys.modules.items())
        if name.startswith(("guard", "worker")) and getattr(module, "utcnow", None) is original
    )
    if stale:  # a module imported before the swap would judge holds on the wall clock
        raise SystemExit(f"these modules kept the wall clock: {', '.join(stale)}")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
