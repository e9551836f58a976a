"""Corp routes: the corp switcher, registration (installation admins) and settings.

Secrets (app secret, callback token, EncodingAESKey) are write-only over the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from siyu.audit.context import set_audit_corp
from siyu.audit.service import audit_service
from siyu.auth.deps import Access, CurrentPrincipal, Superuser, require_role
from siyu.auth.management import membership_service
from siyu.auth.models import Role
from siyu.corps.schemas import Corp, CorpCreate, CorpSummary, CorpUpdate, corp_view
from siyu.corps.service import corp_service
from siyu.deps import DbSession, SettingsDep
from siyu.kit.routing import TransactionalRoute
from siyu.kit.secrets import SecretBox

router = APIRouter(prefix="/corps", tags=["corps"], route_class=TransactionalRoute)

CorpAdmin = Annotated[Access, Depends(require_role(Role.owner, Role.admin, api_scope="corps:read"))]
CorpEditor = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="corps:write"))
]


@router.get("", response_model=list[CorpSummary])
def list_corps(session: DbSession, principal: CurrentPrincipal) -> list[CorpSummary]:
    """The corps the caller may switch to: their memberships (installation admins: all)."""
    if principal.api_key is not None:
        ids = [principal.api_key.corp_id]
    elif principal.user is not None and principal.user.is_superuser:
        ids = None
    else:
        assert principal.user is not None
        ids = [m.corp_id for m in membership_service.of_user(session, user_id=principal.user.id)]
    return [CorpSummary.model_validate(c) for c in corp_service.list(session, ids=ids)]


@router.post("", response_model=Corp, status_code=status.HTTP_201_CREATED)
def create_corp(
    session: DbSession, user: Superuser, settings: SettingsDep, body: CorpCreate
) -> Corp:
    corp = corp_service.create(session, data=body, box=SecretBox(settings.secret_key))
    set_audit_corp(session, corp.id)
    membership_service.add_owner(session, corp_id=corp.id, user=user)
    audit_service.record(
        session,
        action="corp.create",
        target_type="corp",
        target_id=corp.id,
        details={"wecom_corp_id": corp.wecom_corp_id, "name": corp.name},
    )
    return corp_view(corp)


@router.get("/{corp_id}", response_model=Corp)
def get_corp(access: CorpAdmin) -> Corp:
    return corp_view(access.corp)


@router.patch("/{corp_id}", response_model=Corp)
def update_corp(
    session: DbSession, access: CorpEditor, settings: SettingsDep, body: CorpUpdate
) -> Corp:
    corp = corp_service.update(
        session, corp=access.corp, data=body, box=SecretBox(settings.secret_key)
    )
    # Field names only: the values of secret fields must never reach the log.
    audit_service.record(
        session,
        action="corp.update",
        target_type="corp",
        target_id=corp.id,
        details={"fields": sorted(body.model_dump(exclude_unset=True))},
    )
    return corp_view(corp)
