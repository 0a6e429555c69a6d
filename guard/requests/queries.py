"""Query strings: one model per list, the validator and the parameters' documentation at once.

Every `limit` is the same rule (`fields.PageLimit`): ASCII digits, 1 to 1,000.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from guard.requests.fields import Flag, Id, PageLimit, RequestModel
from guard.rules import REASONS
from guard.services.hold_queue import DEFAULT_PAGE, HoldFilter

HoldState = Literal["held", "blocked", "released"]
if TYPE_CHECKING:
    ReasonCode = str
else:
    ReasonCode = Literal[tuple(sorted(REASONS))]  # the codes as an enum, built from the rules
NotificationState = Literal["failed", "pending", "delivered", "skipped"]  # guard.services.outbox.STATES
Cursor = str | None


class HoldSelection(RequestModel):
    """Which holds: every filter optional, all of them at once."""

    state: HoldState | None = Field(None, description="Only holds in this state.")
    reason: ReasonCode | None = Field(None, description="Only holds with this reason code.")
    station_id: Id | None = Field(None, description="Only holds at this packing station.")
    overdue: Flag | None = Field(None, description="Only overdue holds (true), or only those not overdue (false).")

    def filter(self, limit: int = DEFAULT_PAGE, cursor: str | None = None) -> HoldFilter:
        return HoldFilter(self.state, self.reason, self.station_id, self.overdue, limit, cursor)


class HoldQuery(HoldSelection):
    """A page of the hold queue, oldest first."""

    limit: PageLimit = Field(DEFAULT_PAGE, description="Holds per page (1 to 1,000).")
    cursor: Cursor = Field(None, description="`next_cursor` of the page before.")

    def page(self) -> HoldFilter:
        return self.filter(self.limit, self.cursor)


class NotificationQuery(RequestModel):
    state: NotificationState = Field("failed", description="Delivery state.")
    limit: PageLimit = Field(100, description="Notifications per page (1 to 1,000).")
    cursor: Cursor = Field(None, description="`next_cursor` of the page before.")


class DecisionQuery(RequestModel):
    limit: PageLimit = Field(50, description="Decisions per page (1 to 1,000).")
    cursor: Cursor = Field(None, description="`next_cursor` of the page before.")
