"""Channel and live-code routes, and the welcome defaults (admins write, members read)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from siyu.acquisition.models import LiveCode as LiveCodeRow
from siyu.acquisition.models import WelcomeDefault as WelcomeDefaultRow
from siyu.acquisition.posters import poster_png, qr_png
from siyu.acquisition.schemas import (
    Channel,
    ChannelCreate,
    ChannelUpdate,
    LiveCode,
    LiveCodeCreate,
    LiveCodeUpdate,
    WelcomeDefault,
    WelcomeDefaultUpdate,
)
from siyu.acquisition.service import acquisition_service as service
from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute

router = APIRouter(prefix="/corps/{corp_id}", tags=["acquisition"], route_class=TransactionalRoute)

Reader = Annotated[Access, Depends(require_api_scope("acquisition:read"))]
Admin = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="acquisition:write"))
]
PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "A PNG image"}
}


@router.get("/acquisition/channels", response_model=list[Channel])
def list_channels(session: DbSession, access: Reader) -> list[dict[str, Any]]:
    return service.list_channels(session, corp_id=access.corp_id)


@router.post("/acquisition/channels", response_model=Channel, status_code=status.HTTP_201_CREATED)
def create_channel(session: DbSession, access: Admin, data: ChannelCreate) -> Any:
    return service.create_channel(session, corp_id=access.corp_id, data=data)


@router.patch("/acquisition/channels/{channel_id}", response_model=Channel)
def update_channel(
    session: DbSession, access: Admin, channel_id: uuid.UUID, data: ChannelUpdate
) -> Any:
    channel = service.channel_or_404(session, corp_id=access.corp_id, channel_id=channel_id)
    return service.update_channel(session, channel=channel, data=data)


@router.delete("/acquisition/channels/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_channel(session: DbSession, access: Admin, channel_id: uuid.UUID) -> None:
    channel = service.channel_or_404(session, corp_id=access.corp_id, channel_id=channel_id)
    service.delete_channel(session, channel=channel)


@router.get("/acquisition/codes", response_model=list[LiveCode])
def list_codes(
    session: DbSession, access: Reader, channel_id: uuid.UUID | None = None
) -> list[LiveCodeRow]:
    return service.list_codes(session, corp_id=access.corp_id, channel_id=channel_id)


@router.post("/acquisition/codes", response_model=LiveCode, status_code=status.HTTP_201_CREATED)
def create_code(session: DbSession, access: Admin, data: LiveCodeCreate) -> LiveCodeRow:
    """The contact way is created with WeCom by a job right after this commits."""
    return service.create_code(session, corp_id=access.corp_id, data=data)


@router.get("/acquisition/codes/{code_id}", response_model=LiveCode)
def get_code(session: DbSession, access: Reader, code_id: uuid.UUID) -> LiveCodeRow:
    return service.code_or_404(session, corp_id=access.corp_id, code_id=code_id)


@router.patch("/acquisition/codes/{code_id}", response_model=LiveCode)
def update_code(
    session: DbSession, access: Admin, code_id: uuid.UUID, data: LiveCodeUpdate
) -> LiveCodeRow:
    code = service.code_or_404(session, corp_id=access.corp_id, code_id=code_id)
    return service.update_code(session, code=code, data=data)


@router.delete("/acquisition/codes/{code_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_code(session: DbSession, access: Admin, code_id: uuid.UUID) -> None:
    code = service.code_or_404(session, corp_id=access.corp_id, code_id=code_id)
    service.delete_code(session, code=code)


@router.get("/acquisition/codes/{code_id}/qr.png", response_class=Response, responses=PNG)
def get_code_qr(session: DbSession, access: Reader, code_id: uuid.UUID) -> Response:
    code = service.code_or_404(session, corp_id=access.corp_id, code_id=code_id)
    image = qr_png(code.qr_code, sandbox=access.corp.is_sandbox)
    return Response(image, media_type="image/png", headers=_attachment(f"{code.state}-qr.png"))


@router.get("/acquisition/codes/{code_id}/poster.png", response_class=Response, responses=PNG)
def get_code_poster(session: DbSession, access: Reader, code_id: uuid.UUID) -> Response:
    code = service.code_or_404(session, corp_id=access.corp_id, code_id=code_id)
    channel = service.channel_or_404(session, corp_id=access.corp_id, channel_id=code.channel_id)
    image = poster_png(
        qr_png(code.qr_code, sandbox=access.corp.is_sandbox),
        title=access.corp.name,
        subtitle=f"{channel.name} · {code.name}",
        footer="微信扫码添加专属顾问",
    )
    return Response(image, media_type="image/png", headers=_attachment(f"{code.state}-poster.png"))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/acquisition/welcome-defaults", response_model=list[WelcomeDefault])
def list_welcome_defaults(session: DbSession, access: Reader) -> list[WelcomeDefaultRow]:
    return service.welcome_defaults(session, corp_id=access.corp_id)


@router.put("/acquisition/welcome-defaults/corp", response_model=WelcomeDefault)
def set_corp_welcome(
    session: DbSession, access: Admin, data: WelcomeDefaultUpdate
) -> WelcomeDefaultRow:
    return service.set_welcome_default(session, corp_id=access.corp_id, staff_userid="", data=data)


@router.put("/acquisition/welcome-defaults/staff/{staff_userid}", response_model=WelcomeDefault)
def set_staff_welcome(
    session: DbSession, access: Admin, staff_userid: str, data: WelcomeDefaultUpdate
) -> WelcomeDefaultRow:
    return service.set_welcome_default(
        session, corp_id=access.corp_id, staff_userid=staff_userid, data=data
    )
