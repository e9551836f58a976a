"""The WeCom call journal for the console: newest first, filtered by API and errcode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from siyu.auth.deps import Access, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession, RuntimeDep
from siyu.kit.routing import TransactionalRoute
from siyu.wecom.schemas import WeComCall, WeComCallPage
from siyu.wecom.service import wecom_call_service
from siyu.wecom.verify import VerifyResult, verify_corp

router = APIRouter(tags=["wecom"], route_class=TransactionalRoute)

WeComReader = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="wecom:read"))
]


@router.get("/corps/{corp_id}/wecom/calls", response_model=WeComCallPage)
def list_wecom_calls(
    session: DbSession,
    access: WeComReader,
    api: Annotated[
        str | None, Query(max_length=128, description="e.g. externalcontact/get")
    ] = None,
    errcode: Annotated[
        int | None, Query(description="0 for successes, -2 for network errors")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> WeComCallPage:
    rows, next_cursor = wecom_call_service.list(
        session, corp_id=access.corp_id, api=api, errcode=errcode, cursor=cursor, limit=limit
    )
    return WeComCallPage(items=[WeComCall.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/corps/{corp_id}/wecom/verification", response_model=VerifyResult)
def get_wecom_verification(access: WeComReader, runtime: RuntimeDep) -> VerifyResult:
    """Check the corp's credentials against WeCom now (a read: it changes nothing, so it holds
    no write transaction open during the network call)."""
    return verify_corp(runtime, access.corp)
