"""Moments (客户朋友圈) calls beyond creating and listing them (those are in `mass`)."""

from __future__ import annotations

from siyu.wecom.api.base import ApiBase
from siyu.wecom.schemas import MomentTasks, Result

P = "externalcontact/"


class MomentsApi(ApiBase):
    def get_moment_task(
        self, *, moment_id: str, cursor: str | None = None, limit: int | None = None
    ) -> MomentTasks:
        """Which senders have published a company moment (paged; ≤1000 per page)."""
        body = {"moment_id": moment_id, "cursor": cursor, "limit": limit}
        return self._post(P + "get_moment_task", MomentTasks, body)

    def cancel_moment_task(self, *, moment_id: str) -> Result:
        """Stops a company moment: senders who have not posted yet can no longer post it."""
        return self._post(P + "cancel_moment_task", Result, {"moment_id": moment_id})
