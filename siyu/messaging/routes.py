"""Mass-message routes: compose, preview, list and follow campaigns, remind, cancel, report,
and the corp's quota settings. Members see campaigns through their data scope."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession, RuntimeDep
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import ServiceUnavailable, Unprocessable
from siyu.kit.pagination import decode_cursor, encode_cursor
from siyu.kit.routing import TransactionalRoute
from siyu.messaging import report as campaign_report
from siyu.messaging import tracking
from siyu.messaging.models import MassCampaign, MassSettings, MassTask
from siyu.messaging.repository import recipients
from siyu.messaging.schemas import (
    Campaign,
    CampaignCreate,
    CampaignPage,
    CampaignReport,
    MassSettingsOut,
    MassSettingsUpdate,
    OptOutBody,
    ReachPreview,
    Recipient,
    RecipientPage,
    RemindResult,
    Task,
)
from siyu.messaging.service import messaging_service
from siyu.messaging.tasks import TRACK_JOB
from siyu.wecom.client import WeComClient, client_for
from siyu.wecom.exceptions import WeComApiError

router = APIRouter(prefix="/corps/{corp_id}", tags=["messaging"], route_class=TransactionalRoute)

Reader = Annotated[Access, Depends(require_api_scope("messaging:read"))]
Sender = Annotated[
    Access,
    Depends(require_role(Role.owner, Role.admin, Role.manager, api_scope="messaging:write")),
]
Admin = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="messaging:write"))
]


def _client(runtime: RuntimeDep, access: Access) -> WeComClient:
    return client_for(runtime, access.corp)


def _wecom_failed(exc: WeComApiError) -> ServiceUnavailable:
    return ServiceUnavailable(f"WeCom answered {exc.errcode}: {exc.errmsg}")


@router.get("/mass-campaigns", response_model=CampaignPage)
def list_mass_campaigns(
    session: DbSession,
    access: Reader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CampaignPage:
    items, next_cursor = messaging_service.page(
        session, scope=access.scope, cursor=cursor, limit=limit
    )
    return CampaignPage(items=[Campaign.model_validate(c) for c in items], next_cursor=next_cursor)


@router.post("/mass-campaigns/preview", response_model=ReachPreview)
def preview_mass_campaign(session: DbSession, access: Sender, data: CampaignCreate) -> ReachPreview:
    """Who it would reach if sent at `send_at`, and who would be left out and why."""
    return messaging_service.preview(session, access=access, data=data, now=utcnow())


@router.post("/mass-campaigns", response_model=Campaign, status_code=201)
def create_mass_campaign(session: DbSession, access: Sender, data: CampaignCreate) -> MassCampaign:
    return messaging_service.create(session, access=access, data=data, now=utcnow())


@router.get("/mass-campaigns/{campaign_id}", response_model=Campaign)
def get_mass_campaign(session: DbSession, access: Reader, campaign_id: uuid.UUID) -> MassCampaign:
    return messaging_service.get_or_404(session, scope=access.scope, campaign_id=campaign_id)


@router.get("/mass-campaigns/{campaign_id}/tasks", response_model=list[Task])
def list_mass_campaign_tasks(
    session: DbSession, access: Reader, campaign_id: uuid.UUID
) -> list[MassTask]:
    campaign = messaging_service.get_or_404(session, scope=access.scope, campaign_id=campaign_id)
    return messaging_service.tasks(session, scope=access.scope, campaign=campaign)


@router.get("/mass-campaigns/{campaign_id}/recipients", response_model=RecipientPage)
def list_mass_campaign_recipients(
    session: DbSession,
    access: Reader,
    campaign_id: uuid.UUID,
    status: str | None = None,
    reason: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RecipientPage:
    """Per-customer (or per-group) rows; `status=left_out` lists who was left out and why."""
    campaign = messaging_service.get_or_404(session, scope=access.scope, campaign_id=campaign_id)
    after: Any = None
    if cursor is not None:
        try:
            after = int(decode_cursor(cursor, size=1)[0])
        except (ValueError, TypeError) as exc:
            raise Unprocessable("cursor: not a cursor this endpoint gave") from exc
    rows = recipients.page(
        session, campaign.id, access.scope, status=status, reason=reason, after=after,
        limit=limit + 1,
    )  # fmt: skip
    more = len(rows) > limit
    rows = rows[:limit]
    return RecipientPage(
        items=[Recipient.model_validate(r) for r in rows],
        next_cursor=encode_cursor([rows[-1].id]) if more and rows else None,
    )


@router.get("/mass-campaigns/{campaign_id}/report", response_model=CampaignReport)
def get_mass_campaign_report(
    session: DbSession, access: Reader, campaign_id: uuid.UUID
) -> CampaignReport:
    campaign = messaging_service.get_or_404(session, scope=access.scope, campaign_id=campaign_id)
    return campaign_report.build(session, campaign=campaign, scope=access.scope)


@router.post("/mass-campaigns/{campaign_id}/cancel", response_model=Campaign)
def cancel_mass_campaign(
    session: DbSession, access: Sender, runtime: RuntimeDep, campaign_id: uuid.UUID
) -> MassCampaign:
    campaign = messaging_service.get_or_404(session, scope=access.scope, campaign_id=campaign_id)
    try:
        return messaging_service.cancel(
            session, campaign=campaign, client=_client(runtime, access), now=utcnow()
        )
    except WeComApiError as exc:
        raise _wecom_failed(exc) from exc


@router.post("/mass-campaigns/{campaign_id}/remind", response_model=RemindResult)
def remind_mass_campaign(
    session: DbSession, access: Sender, runtime: RuntimeDep, campaign_id: uuid.UUID
) -> RemindResult:
    """Remind the senders who have not confirmed (≤ 3 times per task in 24 h)."""
    campaign = messaging_service.get_or_404(session, scope=access.scope, campaign_id=campaign_id)
    try:
        return tracking.remind(_client(runtime, access), session, campaign=campaign, now=utcnow())
    except WeComApiError as exc:
        raise _wecom_failed(exc) from exc


@router.post("/mass-campaigns/{campaign_id}/refresh", response_model=Campaign, status_code=202)
def refresh_mass_campaign(
    session: DbSession, access: Reader, campaign_id: uuid.UUID
) -> MassCampaign:
    """Fetch confirmations and results now instead of at the next 10-minute round."""
    campaign = messaging_service.get_or_404(session, scope=access.scope, campaign_id=campaign_id)
    enqueue(
        session, TRACK_JOB, key=f"{TRACK_JOB}:{campaign.id}:{utcnow().isoformat()}",
        args={"campaign_id": str(campaign.id)}, corp_id=campaign.corp_id,
    )  # fmt: skip
    return campaign


@router.get("/mass-settings", response_model=MassSettingsOut)
def get_mass_settings(session: DbSession, access: Reader) -> MassSettings:
    return messaging_service.settings(session, corp_id=access.corp_id)


@router.put("/mass-settings", response_model=MassSettingsOut)
def update_mass_settings(
    session: DbSession, access: Admin, data: MassSettingsUpdate
) -> MassSettings:
    return messaging_service.update_settings(session, corp_id=access.corp_id, data=data)


@router.post("/mass-opt-outs", status_code=204)
def add_mass_opt_outs(session: DbSession, access: Sender, data: OptOutBody) -> None:
    """People who asked for no more mass messages: every later plan leaves them out."""
    known = messaging_service.known_customer_ids(session, access.scope, data.customer_ids)
    unknown = [str(c) for c in data.customer_ids if c not in known]
    if unknown:
        raise Unprocessable(
            f"customer_ids: {unknown[0]} does not exist", details={"unknown": unknown}
        )
    messaging_service.opt_out(session, corp_id=access.corp_id, customer_ids=data.customer_ids)
