"""Group code console routes: codes with their pools and routes, joins, phone lists."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession, RuntimeDep, SettingsDep
from siyu.groupcodes import phones, rotation
from siyu.groupcodes.models import GroupCode
from siyu.groupcodes.public import customer_link, page_path
from siyu.groupcodes.schemas import (
    CustomerLink,
    GroupCodeCreate,
    GroupCodeDailyJoins,
    GroupCodeDetail,
    GroupCodeRoute,
    GroupCodeSlot,
    GroupCodeUpdate,
    PhoneImportResult,
)
from siyu.groupcodes.schemas import (
    GroupCode as GroupCodeOut,
)
from siyu.groupcodes.service import group_code_service
from siyu.groupcodes.wecom import JoinWays, wecom_errors
from siyu.groups.service import group_service
from siyu.kit.routing import TransactionalRoute
from siyu.runtime import Runtime
from siyu.wecom.client import client_for

router = APIRouter(
    prefix="/corps/{corp_id}/group-codes", tags=["groupcodes"], route_class=TransactionalRoute
)
Reader = Annotated[Access, Depends(require_api_scope("customers:read"))]
Editor = Annotated[
    Access,
    Depends(require_role(Role.owner, Role.admin, Role.manager, api_scope="customers:write")),
]


def _ways(runtime: Runtime, access: Access) -> JoinWays:
    with wecom_errors():
        return JoinWays(client_for(runtime, access.corp))


def _out(code: GroupCode) -> GroupCodeOut:
    return GroupCodeOut.model_validate(code, from_attributes=True).model_copy(
        update={"threshold": rotation.threshold_of(code), "page_path": page_path(code)}
    )


def _detail(session: DbSession, access: Access, code: GroupCode) -> GroupCodeDetail:
    slots = group_code_service.slots(session, code=code)
    groups = {
        g.id: g
        for g in group_service.by_ids(
            session, corp_id=access.corp_id, group_ids=[s.group_id for s in slots]
        )
    }
    return GroupCodeDetail(
        **_out(code).model_dump(),
        slots=[
            GroupCodeSlot.model_validate(s).model_copy(
                update={
                    "group_name": groups[s.group_id].name if s.group_id in groups else "",
                    "member_count": groups[s.group_id].member_count if s.group_id in groups else 0,
                }
            )
            for s in slots
        ],
        routes=[
            GroupCodeRoute.model_validate(r) for r in group_code_service.routes(session, code=code)
        ],
        phone_count=group_code_service.phone_count(session, code=code),
    )


@router.get("", response_model=list[GroupCodeOut])
def list_group_codes(session: DbSession, access: Reader) -> list[GroupCodeOut]:
    """The codes the caller may see (staff-scoped users: the codes they own)."""
    return [_out(c) for c in group_code_service.list(session, scope=access.scope)]


@router.post("", response_model=GroupCodeDetail, status_code=status.HTTP_201_CREATED)
def create_group_code(
    session: DbSession, access: Editor, runtime: RuntimeDep, data: GroupCodeCreate
) -> GroupCodeDetail:
    """Creates the WeCom join way (scene 2, ≤5 groups) over the first groups with room."""
    with wecom_errors():
        code = group_code_service.create(
            session, access=access, data=data, ways=_ways(runtime, access)
        )
    return _detail(session, access, code)


@router.get("/{code_id}", response_model=GroupCodeDetail)
def get_group_code(session: DbSession, access: Reader, code_id: uuid.UUID) -> GroupCodeDetail:
    code = group_code_service.get_or_404(session, scope=access.scope, code_id=code_id)
    return _detail(session, access, code)


@router.patch("/{code_id}", response_model=GroupCodeDetail)
def update_group_code(
    session: DbSession,
    access: Editor,
    runtime: RuntimeDep,
    code_id: uuid.UUID,
    data: GroupCodeUpdate,
) -> GroupCodeDetail:
    """Settings, pool order and routes; the join way gets the resulting full list at once."""
    code = group_code_service.get_or_404(session, scope=access.scope, code_id=code_id)
    with wecom_errors():
        group_code_service.update(session, code=code, data=data, ways=_ways(runtime, access))
    return _detail(session, access, code)


@router.delete("/{code_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group_code(session: DbSession, access: Editor, code_id: uuid.UUID) -> None:
    code = group_code_service.get_or_404(session, scope=access.scope, code_id=code_id)
    group_code_service.delete(session, code=code)


@router.get("/{code_id}/joins", response_model=list[GroupCodeDailyJoins])
def list_group_code_joins(
    session: DbSession,
    access: Reader,
    code_id: uuid.UUID,
    since: Annotated[date, Query(description="First China calendar day, YYYY-MM-DD")],
) -> list[GroupCodeDailyJoins]:
    """Joins through the code per day and group."""
    code = group_code_service.get_or_404(session, scope=access.scope, code_id=code_id)
    return [
        GroupCodeDailyJoins(day=day, chat_id=chat_id, joins=joins)
        for day, chat_id, joins in group_code_service.daily_joins(session, code=code, since=since)
    ]


@router.get("/{code_id}/customer-link", response_model=CustomerLink)
def get_group_code_customer_link(
    session: DbSession,
    access: Reader,
    settings: SettingsDep,
    code_id: uuid.UUID,
    external_userid: Annotated[str, Query(min_length=1, max_length=64)],
) -> CustomerLink:
    """A signed page link for one customer, so tag and segment routes apply to them."""
    code = group_code_service.get_or_404(session, scope=access.scope, code_id=code_id)
    return CustomerLink(url=customer_link(settings, code, external_userid))


@router.post(
    "/{code_id}/phones",
    response_model=PhoneImportResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_group_code_phones(
    request: Request,
    session: DbSession,
    access: Editor,
    code_id: uuid.UUID,
    file_name: Annotated[str, Query(min_length=1, max_length=255)],
    replace: bool = False,
) -> PhoneImportResult:
    """The file (CSV or xlsx, a phone / 手机号 column) is the body; `replace` drops the old list."""
    body = await request.body()
    code = group_code_service.get_or_404(session, scope=access.scope, code_id=code_id)
    return phones.import_phones(session, code=code, file_name=file_name, body=body, replace=replace)
