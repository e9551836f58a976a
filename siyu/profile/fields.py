"""Custom fields per corp: definitions, and values checked by type before anything is written.

A value update names fields by key and is validated whole first: one bad value refuses the
request with every problem listed, and no field changes (nothing half-written).
"""

from __future__ import annotations

import builtins
import math
import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from siyu.customers.models import Customer
from siyu.kit.errors import BadRequest, Conflict, NotFound
from siyu.profile.audit import audited, delete_audited
from siyu.profile.models import CustomerField
from siyu.profile.repository import profile_repository as repo
from siyu.profile.schemas import CustomerFieldCreate, CustomerFieldUpdate, CustomerFieldValue
from siyu.profile.timeline import timeline_service

SELECT_TYPES = ("single_select", "multi_select")
MAX_TEXT = 2000


def _check_options(type_: str, options: list[Any]) -> None:
    if type_ in SELECT_TYPES and not options:
        raise BadRequest(f"a {type_} field needs at least one option")
    if type_ not in SELECT_TYPES and options:
        raise BadRequest(f"a {type_} field takes no options")


def parse_value(field: CustomerField, value: Any) -> list[dict[str, Any]]:
    """The rows storing `value` for `field`; raises ValueError with a reason when it is wrong."""
    if value is None:
        return []
    keys = {o["key"] for o in field.options or []}
    if field.type == "text":
        if not isinstance(value, str):
            raise ValueError("expects a string")
        if len(value) > MAX_TEXT:
            raise ValueError(f"is longer than {MAX_TEXT} characters")
        return [{"value_text": value}] if value else []
    if field.type == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError("expects a finite number")
        return [{"value_number": float(value)}]
    if field.type == "date":
        try:
            return [{"value_date": date.fromisoformat(str(value))}]
        except ValueError as exc:
            raise ValueError("expects a date as YYYY-MM-DD") from exc
    if field.type == "single_select":
        if not isinstance(value, str) or value not in keys:
            raise ValueError(f"expects one of the option keys {sorted(keys)}")
        return [{"value_text": value}]
    if not isinstance(value, list) or not all(isinstance(v, str) and v in keys for v in value):
        raise ValueError(f"expects a list of option keys from {sorted(keys)}")
    return [{"value_text": v} for v in dict.fromkeys(value)]


def present(field: CustomerField, rows: list[Any]) -> Any:
    """The API value of a field from its stored rows."""
    if not rows:
        return [] if field.type == "multi_select" else None
    if field.type == "number":
        number = rows[0].value_number
        return int(number) if number is not None and number.is_integer() else number
    if field.type == "date":
        return rows[0].value_date.isoformat() if rows[0].value_date else None
    if field.type == "multi_select":
        return sorted(r.value_text for r in rows)
    return rows[0].value_text


class FieldService:
    def list(self, session: Session, *, corp_id: uuid.UUID) -> builtins.list[CustomerField]:
        return repo.fields(session, corp_id)

    def get_or_404(
        self, session: Session, *, corp_id: uuid.UUID, field_id: uuid.UUID
    ) -> CustomerField:
        field = repo.field(session, corp_id, field_id)
        if field is None:
            raise NotFound(f"custom field {field_id} does not exist")
        return field

    def create(
        self, session: Session, *, corp_id: uuid.UUID, data: CustomerFieldCreate
    ) -> CustomerField:
        if repo.field_by_key(session, corp_id, data.key) is not None:
            raise Conflict(f"a custom field with key {data.key!r} exists")
        options = [o.model_dump() for o in data.options]
        _check_options(data.type, options)
        field = CustomerField(
            corp_id=corp_id,
            key=data.key,
            label=data.label,
            type=data.type,
            options=options,
            required=data.required,
            position=data.position,
        )
        session.add(field)
        session.flush()
        audited(
            session,
            kind="customer_field",
            verb="create",
            row=field,
            details={"key": field.key, "type": field.type},
        )
        return field

    def update(
        self, session: Session, *, field: CustomerField, data: CustomerFieldUpdate
    ) -> CustomerField:
        changes = data.model_dump(exclude_unset=True)
        if data.options is not None:
            options = [o.model_dump() for o in data.options]
            _check_options(field.type, options)
            gone = {o["key"] for o in field.options or []} - {o["key"] for o in options}
            repo.drop_option_values(session, field.id, sorted(gone))
            field.options = options
        for name in ("label", "required", "position"):
            if changes.get(name) is not None:
                setattr(field, name, changes[name])
        session.flush()
        audited(
            session,
            kind="customer_field",
            verb="update",
            row=field,
            details={k: v for k, v in changes.items() if k != "options"},
        )
        return field

    def delete(self, session: Session, *, field: CustomerField) -> None:
        delete_audited(session, kind="customer_field", row=field)

    def values(self, session: Session, *, customer: Customer) -> builtins.list[CustomerFieldValue]:
        """Every field of the corp with the customer's value (null / [] when unset)."""
        stored: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in repo.values_of(session, customer.id):
            stored[row.field_id].append(row)
        return [
            CustomerFieldValue(
                field_id=f.id, key=f.key, type=f.type, value=present(f, stored[f.id])
            )
            for f in repo.fields(session, customer.corp_id)
        ]

    def set_values(
        self,
        session: Session,
        *,
        customer: Customer,
        values: dict[str, Any],
        staff_userid: str | None,
    ) -> builtins.list[CustomerFieldValue]:
        fields = {f.key: f for f in repo.fields(session, customer.corp_id)}
        problems: dict[str, str] = {}
        parsed: dict[str, list[dict[str, Any]]] = {}
        for key, value in values.items():
            field = fields.get(key)
            if field is None:
                problems[key] = "is not a custom field of this corp"
                continue
            try:
                parsed[key] = parse_value(field, value)
            except ValueError as exc:
                problems[key] = str(exc)
                continue
            if field.required and not parsed[key]:
                problems[key] = "is required and cannot be cleared"
        if problems:
            summary = "; ".join(f"{k} {v}" for k, v in problems.items())
            raise BadRequest(f"invalid custom field values: {summary}", details=problems)
        before = {v.key: v.value for v in self.values(session, customer=customer)}
        for key, rows in parsed.items():
            repo.replace_values(
                session,
                corp_id=customer.corp_id,
                customer_id=customer.id,
                field_id=fields[key].id,
                rows=rows,
            )
        after = self.values(session, customer=customer)
        changed = {v.key: v.value for v in after if v.key in parsed and before[v.key] != v.value}
        if changed:
            timeline_service.record(
                session,
                customer=customer,
                kind="field.changed",
                staff_userid=staff_userid,
                details={"values": changed, "before": {k: before[k] for k in changed}},
            )
        return after


field_service = FieldService()
