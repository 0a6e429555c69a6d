"""`GET /station` and `GET /holds`: the pages themselves, and their assets at `/static`.

No key is needed to load a page (contract, "Authentication"); each page asks
for one in the browser and sends it on every `/v1` call.
"""

from __future__ import annotations

import functools
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from guard.rules import REASONS
from guard.rules.messages import BUYER_LANGUAGES, COUNTRY_LANGUAGE, LANGUAGE_NAMES, MESSAGES, RIGHT_TO_LEFT

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

# /docs (Swagger UI): its scripts and styles from the package too. React sets style
# attributes, so styles may be inline; scripts may not.
DOCS_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}
DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Dispatch Guard API</title>
<link rel="stylesheet" href="static/swagger-ui/swagger-ui.css">
<link rel="icon" type="image/png" href="static/swagger-ui/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="static/docs.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


@router.get("/station")
def station_page() -> FileResponse:
    return _page("station.html")


@router.get("/holds")
def hold_board_page() -> FileResponse:
    return _page("holds.html")


@router.get("/docs")
def api_reference() -> HTMLResponse:
    """The interactive API reference: Authorize with a key, then Try it out."""
    return HTMLResponse(DOCS_PAGE, headers=DOCS_HEADERS)


@functools.cache
def _reason_texts() -> dict:
    """Every reason's words, for the board to show beside a hold: the office's next step
    and the buyer's quick replies. The same for every key, and no order data: no key needed."""
    return {
        "languages": [
            {"code": lang, "name": LANGUAGE_NAMES[lang], "dir": "rtl" if lang in RIGHT_TO_LEFT else "ltr"}
            for lang in BUYER_LANGUAGES
        ],
        "countries": COUNTRY_LANGUAGE,
        "reasons": {
            code: {
                "verdict": REASONS[code].verdict,
                "waivable": REASONS[code].waivable,
                "supervisor_message": text.supervisor_message,
                "supervisor_message_zh": text.supervisor_message_zh,
                "buyer_messages": dict(text.buyer_messages),
            }
            for code, text in MESSAGES.items()
        },
    }


@router.get("/holds/texts.json")
def hold_board_texts() -> JSONResponse:
    return JSONResponse(_reason_texts(), headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


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
