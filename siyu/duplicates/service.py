"""Duplicates report and its actions: choose the primary owner, export the list."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.auth.scope import DataScope
from siyu.customers.models import Customer
from siyu.duplicates.repository import duplicate_repository as repo
from siyu.duplicates.schemas import DuplicateCustomer, DuplicateOwner
from siyu.kit.errors import BadRequest
from siyu.kit.pagination import decode_id_cursor, encode_cursor

EXPORT_COLUMNS = ("customer_id", "name", "external_userid", "primary_staff_userid", "staff")


class DuplicateService:
    def page(
        self, session: Session, *, scope: DataScope, cursor: str | None, limit: int
    ) -> tuple[list[DuplicateCustomer], str | None]:
        customers = repo.page(session, scope, after=decode_id_cursor(cursor), limit=limit + 1)
        next_cursor = encode_cursor([customers[limit - 1].id]) if len(customers) > limit else None
        customers = customers[:limit]
        relations = repo.active_relations(session, [c.id for c in customers])
        items = [
            DuplicateCustomer(
                id=c.id,
                name=c.name,
                external_userid=c.external_userid,
                primary_staff_userid=c.primary_staff_userid,
                staff=[DuplicateOwner.model_validate(r) for r in relations.get(c.id, [])],
            )
            for c in customers
        ]
        return items, next_cursor

    def count(self, session: Session, *, scope: DataScope) -> int:
        return repo.count(session, scope)

    def set_primary(self, session: Session, *, customer: Customer, staff_userid: str) -> Customer:
        """The primary owner must be one of the staff members following the person now."""
        owners = [
            r.staff_userid for r in repo.active_relations(session, [customer.id])[customer.id]
        ]
        if staff_userid not in owners:
            raise BadRequest(
                f"{staff_userid} has no active relation with this customer; choose one of "
                f"{', '.join(owners) or 'none'}"
            )
        before = customer.primary_staff_userid
        customer.primary_staff_userid = staff_userid
        session.flush()
        audit_service.record(
            session,
            action="customer.primary_staff",
            target_type="customer",
            target_id=customer.id,
            details={"from": before, "to": staff_userid},
        )
        return customer

    def export_rows(
        self, session: Session, corp_id: uuid.UUID, _: dict[str, Any]
    ) -> Iterator[list[Any]]:
        """Every duplicate of the corp (export kinds are admin-only, so the scope is all)."""
        scope = DataScope.everything(corp_id)
        cursor = None
        while True:
            items, cursor = self.page(session, scope=scope, cursor=cursor, limit=500)
            for item in items:
                yield [
                    str(item.id),
                    item.name,
                    item.external_userid or "",
                    item.primary_staff_userid or "",
                    "|".join(s.staff_userid for s in item.staff),
                ]
            if cursor is None:
                return


duplicate_service = DuplicateService()
