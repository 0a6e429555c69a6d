"""What a use case is given: its settings and the database port — nothing else of the process.

The API, the worker and the CLI each build a `guard.runtime.Runtime`, which has both; a test may
pass anything that does. Time comes in as `now` (the edge reads the clock once per request).
"""

from __future__ import annotations

from typing import Protocol

from guard.config import Settings
from guard.storage import Storage


class Context(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def storage(self) -> Storage: ...
