"""Identity routes: a person's identities and merge history, manual merge, split and undo,
conflicts, rules, and batches of claims from other systems."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.customers.schemas import Customer
from siyu.deps import DbSession
from siyu.identity.masking import mask_identity_value, masks_phones
from siyu.identity.rules import IdentityRuleSet
from siyu.identity.schemas import (
    Batch,
    BatchCreate,
    Conflict,
    ConflictPage,
    ConflictResolve,
    Identity,
    Merge,
    MergeCreate,
    RulesUpdate,
    SplitCreate,
    UndoResult,
)
from siyu.identity.service import identity_service
from siyu.identity.submit import batch_service
from siyu.kit.routing import TransactionalRoute

router = APIRouter(prefix="/corps/{corp_id}", tags=["identity"], route_class=TransactionalRoute)

Reader = Annotated[Access, Depends(require_api_scope("customers:read"))]
Writer = Annotated[Access, Depends(require_api_scope("customers:write"))]
Admin = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="customers:write"))
]


@router.get("/customers/{customer_id}/identities", response_model=list[Identity])
def list_customer_identities(
    session: DbSession, access: Reader, customer_id: uuid.UUID
) -> list[Identity]:
    rows = identity_service.identities_of(session, scope=access.scope, person_id=customer_id)
    mask = masks_phones(session, access)
    views = [Identity.model_validate(r) for r in rows]
    for view in views:
        if mask:
            view.value = mask_identity_value(view.kind, view.value)
    return views


@router.get("/customers/{customer_id}/merges", response_model=list[Merge])
def list_customer_merges(session: DbSession, access: Reader, customer_id: uuid.UUID) -> list[Merge]:
    """Merges into and out of this person, newest first."""
    rows = identity_service.merges_of(session, scope=access.scope, person_id=customer_id)
    mask = masks_phones(session, access)
    return [Merge.of(r, mask=mask) for r in rows]


@router.post(
    "/customers/{customer_id}/merge", response_model=Merge, status_code=status.HTTP_201_CREATED
)
def merge_customer(
    session: DbSession, access: Writer, customer_id: uuid.UUID, data: MergeCreate
) -> Merge:
    """Merge `merged_id` into this customer (audited; undo with `undo_merge`)."""
    merge = identity_service.merge(
        session, scope=access.scope, survivor_id=customer_id, merged_id=data.merged_id
    )
    return Merge.of(merge, mask=masks_phones(session, access))


@router.post(
    "/customers/{customer_id}/split", response_model=Customer, status_code=status.HTTP_201_CREATED
)
def split_customer(
    session: DbSession, access: Writer, customer_id: uuid.UUID, data: SplitCreate
) -> Customer:
    """Move the chosen identities (and relations of a moved external_userid) to a new person."""
    person = identity_service.split(
        session,
        scope=access.scope,
        person_id=customer_id,
        identity_ids=data.identity_ids,
        name=data.name,
    )
    return Customer.model_validate(person)


@router.post("/identity/merges/{merge_id}/undo", response_model=UndoResult)
def undo_merge(session: DbSession, access: Writer, merge_id: uuid.UUID) -> UndoResult:
    restored = identity_service.undo_merge(session, scope=access.scope, merge_id=merge_id)
    return UndoResult(restored=restored)


@router.get("/identity/conflicts", response_model=ConflictPage)
def list_identity_conflicts(
    session: DbSession,
    access: Reader,
    status: Literal["open", "merged", "kept_apart"] | None = "open",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConflictPage:
    """Newest first; only conflicts whose both persons are inside the caller's scope."""
    rows, next_cursor = identity_service.list_conflicts(
        session, scope=access.scope, status=status, cursor=cursor, limit=limit
    )
    mask = masks_phones(session, access)
    items = [Conflict.model_validate(r) for r in rows]
    for item in items:
        if mask:
            item.value = mask_identity_value(item.kind, item.value)
    return ConflictPage(items=items, next_cursor=next_cursor)


@router.post("/identity/conflicts/{conflict_id}/resolve", response_model=Conflict)
def resolve_identity_conflict(
    session: DbSession, access: Writer, conflict_id: uuid.UUID, data: ConflictResolve
) -> Conflict:
    """`merge` merges person b into person a; `keep_apart` closes the conflict."""
    conflict = identity_service.resolve_conflict(
        session, scope=access.scope, conflict_id=conflict_id, action=data.action
    )
    view = Conflict.model_validate(conflict)
    if masks_phones(session, access):
        view.value = mask_identity_value(view.kind, view.value)
    return view


@router.get("/identity/rules", response_model=IdentityRuleSet)
def get_identity_rules(session: DbSession, access: Reader) -> IdentityRuleSet:
    return identity_service.rules_for(session, access.corp_id)


@router.put("/identity/rules", response_model=IdentityRuleSet)
def update_identity_rules(session: DbSession, access: Admin, data: RulesUpdate) -> IdentityRuleSet:
    return identity_service.set_rules(
        session, corp_id=access.corp_id, rules=IdentityRuleSet.model_validate(data.model_dump())
    )


@router.post("/identity/batches", response_model=Batch, status_code=status.HTTP_202_ACCEPTED)
def create_identity_batch(session: DbSession, access: Admin, data: BatchCreate) -> Batch:
    """Claims from another system (mini-program, shop), resolved by a durable job."""
    return Batch.model_validate(batch_service.submit(session, corp_id=access.corp_id, data=data))


@router.get("/identity/batches/{batch_id}", response_model=Batch)
def get_identity_batch(session: DbSession, access: Admin, batch_id: uuid.UUID) -> Batch:
    return Batch.model_validate(batch_service.get_or_404(session, access.corp_id, batch_id))
