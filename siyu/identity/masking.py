"""Phone masking: who may see full numbers, and the masked form.

Staff never see full phone numbers; managers only when the corp allows it (the
`managers_see_phones` identity setting); owners, admins and API keys see them. Every API view
and export that carries a phone goes through `masks_phones`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.auth.deps import Access
from siyu.auth.models import Role
from siyu.identity.models import KIND_PHONE
from siyu.identity.repository import rules_store
from siyu.staff.schemas import mask_mobile


def masks_phones(session: Session, access: Access) -> bool:
    if access.role is Role.staff:
        return True
    if access.role is Role.manager:
        row = rules_store.get(session, access.corp_id)
        return not (row is not None and bool((row.rules or {}).get("managers_see_phones")))
    return False


def mask_identity_value(kind: str, value: str) -> str:
    return (mask_mobile(value) or value) if kind == KIND_PHONE else value


def mask_phones(values: list[str] | None) -> list[str]:
    return [mask_mobile(v) or v for v in values or []]
