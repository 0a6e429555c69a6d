"""`GET /station` and `GET /holds`: the pages themselves, and their assets at `/static`.

No key is needed to load a page (contract, "Authentication"); each page asks
for one in the browser and sends it on every `/v1` call.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

# The pages load only their own assets and talk only to this guard: nothing
# from a CDN (no internet at the dock), and a blob: frame for the label PDF.
SECURITY_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; frame-src 'self' blob:; object-src 'self' blob:; "
        "connect-src 'self' blob:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


@router.get("/station")
def station_page() -> FileResponse:
    return _page("station.html")


@router.get("/holds")
def hold_board_page() -> FileResponse:
    return _page("holds.html")


class _Assets(StaticFiles):
    """Static files that the browser revalidates each time (a cheap 304), so a
    station never runs yesterday's script after an upgrade."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", _Assets(directory=STATIC), name="static")
