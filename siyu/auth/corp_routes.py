"""Per-corp access management: members and API keys (owners and admins only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from siyu.auth.deps import Access, require_role
from siyu.auth.management import api_key_service, membership_service
from siyu.auth.models import CorpMembership, Role
from siyu.auth.models import User as UserModel
from siyu.auth.repository import users
from siyu.auth.schemas import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    Member,
    MemberCreate,
    MemberUpdate,
    User,
)
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute

router = APIRouter(prefix="/corps/{corp_id}", route_class=TransactionalRoute)

# Managing people and credentials is never delegated to API keys.
CorpAdmin = Annotated[Access, Depends(require_role(Role.owner, Role.admin))]


def _member(membership: CorpMembership, user: UserModel) -> Member:
    return Member(
        id=membership.id,
        corp_id=membership.corp_id,
        user=User.model_validate(user),
        role=Role(membership.role),
        scope=membership.scope,
        staff_userid=membership.staff_userid,
        department_ids=membership.department_ids,
        created_at=membership.created_at,
    )


def _role(access: Access) -> Role:
    assert access.role is not None  # CorpAdmin admits members only
    return access.role


@router.get("/members", response_model=list[Member], tags=["members"])
def list_members(session: DbSession, access: CorpAdmin) -> list[Member]:
    return [_member(m, u) for m, u in membership_service.list(session, corp_id=access.corp_id)]


@router.post(
    "/members", response_model=Member, status_code=status.HTTP_201_CREATED, tags=["members"]
)
def create_member(session: DbSession, access: CorpAdmin, body: MemberCreate) -> Member:
    membership, user = membership_service.add(
        session, corp_id=access.corp_id, data=body, actor_role=_role(access)
    )
    return _member(membership, user)


@router.patch("/members/{member_id}", response_model=Member, tags=["members"])
def update_member(
    session: DbSession, access: CorpAdmin, member_id: uuid.UUID, body: MemberUpdate
) -> Member:
    membership = membership_service.get_or_404(session, corp_id=access.corp_id, member_id=member_id)
    membership = membership_service.update(
        session, membership=membership, data=body, actor_role=_role(access)
    )
    user = users.get(session, membership.user_id)
    assert user is not None
    return _member(membership, user)


@router.delete("/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["members"])
def delete_member(session: DbSession, access: CorpAdmin, member_id: uuid.UUID) -> Response:
    membership = membership_service.get_or_404(session, corp_id=access.corp_id, member_id=member_id)
    membership_service.remove(session, membership=membership, actor_role=_role(access))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api-keys", response_model=list[ApiKey], tags=["api-keys"])
def list_api_keys(session: DbSession, access: CorpAdmin) -> list[ApiKey]:
    return [ApiKey.model_validate(k) for k in api_key_service.list(session, corp_id=access.corp_id)]


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["api-keys"],
)
def create_api_key(session: DbSession, access: CorpAdmin, body: ApiKeyCreate) -> ApiKeyCreated:
    user = access.principal.user
    key, secret = api_key_service.create(
        session, corp_id=access.corp_id, data=body, created_by=user.id if user else None
    )
    return ApiKeyCreated.model_validate({**ApiKey.model_validate(key).model_dump(), "key": secret})


@router.delete("/api-keys/{api_key_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["api-keys"])
def delete_api_key(session: DbSession, access: CorpAdmin, api_key_id: uuid.UUID) -> Response:
    """Revoke the key (the row stays, so the audit log can still name it)."""
    key = api_key_service.get_or_404(session, corp_id=access.corp_id, key_id=api_key_id)
    api_key_service.revoke(session, key=key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
