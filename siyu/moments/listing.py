"""Moments as WeCom lists them (get_moment_list): company and personal, ≤30 days per query."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

from siyu.kit.errors import ServiceUnavailable, Unprocessable
from siyu.moments.schemas import WeComMoment, WeComMomentPage
from siyu.profile.stages import CN_TZ
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import WeComApiError

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.runtime import Runtime

MAX_DAYS = 30  # API-FACTS §4.7: end_time - start_time ≤ 30 days
PAGE = 20  # the official maximum (a widely used SDK says 100; 20 is safe either way)
FILTER_TYPES = {"company": 0, "staff": 1, "all": 2}


def wecom_moments(
    runtime: Runtime,
    corp: Corp,
    *,
    since: date,
    until: date,
    created_by: Literal["company", "staff", "all"],
    creator: str | None,
    cursor: str | None,
) -> WeComMomentPage:
    if until < since:
        raise Unprocessable("until is before since", details={"field": "until"})
    if (until - since).days + 1 > MAX_DAYS:
        raise Unprocessable(
            f"WeCom lists moments for at most {MAX_DAYS} days per query",
            details={"field": "until"},
        )
    start = datetime.combine(since, time.min, CN_TZ)
    end = datetime.combine(until + timedelta(days=1), time.min, CN_TZ) - timedelta(seconds=1)
    try:
        answer = client_for(runtime, corp).get_moment_list(
            start_time=int(start.timestamp()),
            end_time=int(end.timestamp()),
            creator=creator or None,
            filter_type=FILTER_TYPES[created_by],
            cursor=cursor or None,
            limit=PAGE,
        )
    except WeComApiError as exc:
        message = f"WeCom refused the moment list: {exc.errcode} {exc.errmsg}"
        raise ServiceUnavailable(message, code="wecom_error") from exc
    return WeComMomentPage(
        items=[_row(m) for m in answer.moment_list], next_cursor=answer.next_cursor or None
    )


def _row(moment: dict[str, Any]) -> WeComMoment:
    text = moment.get("text") or {}
    link = moment.get("link") or {}
    return WeComMoment(
        moment_id=str(moment["moment_id"]),
        creator=moment.get("creator") or None,
        create_time=int(moment.get("create_time", 0)),
        create_type=int(moment.get("create_type", 0)),
        visible_type=moment.get("visible_type"),
        text=str(text.get("content", "")) if isinstance(text, dict) else str(text),
        images=len(moment.get("image") or []),
        has_video=bool(moment.get("video")),
        link_title=link.get("title") if isinstance(link, dict) else None,
    )
