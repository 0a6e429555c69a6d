"""A lean JSON path: orjson writes datetimes as RFC 3339 natively and is several times faster."""

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class GuardJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
