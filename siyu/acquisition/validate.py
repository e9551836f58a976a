"""Checks a code must pass before it is saved: each failure is a 4xx naming what is wrong."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from siyu.acquisition.loads import load_queries
from siyu.acquisition.models import LiveCode
from siyu.acquisition.routing import WAY_USER_CAP
from siyu.acquisition.templates import WELCOME_MAX_BYTES, check_template
from siyu.kit.errors import Unprocessable
from siyu.staff.repository import departments
from siyu.tags.service import tag_service


def check_tags(session: Session, corp_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]) -> list[str]:
    """Only live corp tags can be marked through WeCom's mark_tag (API-FACTS §4.2)."""
    found = {t.id: t for t in tag_service.get_tags(session, corp_id=corp_id, tag_ids=tag_ids)}
    missing = [str(i) for i in tag_ids if i not in found or found[i].deleted_at is not None]
    if missing:
        raise Unprocessable(f"tags {missing} do not exist", details={"tag_ids": missing})
    personal = [str(t.id) for t in found.values() if t.type != 1]
    if personal:
        raise Unprocessable(f"tags {personal} are not corp tags", details={"tag_ids": personal})
    return [str(i) for i in dict.fromkeys(tag_ids)]


def check_code(session: Session, code: LiveCode, *, now: datetime) -> None:
    """The saved code as a whole (after create or update has applied its fields)."""
    corp_id = code.corp_id
    if not code.staff_userids and not code.department_ids:
        raise Unprocessable("the staff pool is empty: name staff_userids or department_ids")
    named = [*code.staff_userids, *code.backup_userids]
    known = load_queries.members(session, corp_id, named, fill_defaults=False)
    unknown = sorted({u for u in named if u not in known})
    if unknown:
        raise Unprocessable(
            f"staff {unknown} are not in the corp's directory", details={"userids": unknown}
        )
    if code.department_ids:
        found = {
            d.wecom_dept_id for d in departments.by_wecom_ids(session, corp_id, code.department_ids)
        }
        missing = sorted(set(code.department_ids) - found)
        if missing:
            raise Unprocessable(
                f"departments {missing} do not exist", details={"department_ids": missing}
            )
    pool = set(code.staff_userids) | set(
        load_queries.userids_in(session, corp_id, code.department_ids)
    )
    if not pool:
        raise Unprocessable("the named departments have no members")
    if len(set(code.backup_userids)) > WAY_USER_CAP:
        raise Unprocessable(f"at most {WAY_USER_CAP} backup staff (a contact way's user cap)")
    strangers = sorted(set(code.weights) - pool)
    if strangers:
        raise Unprocessable(f"weights name staff outside the pool: {strangers}")
    check_template(code.remark_template, what="remark_template")
    check_template(code.description_template, what="description_template")
    check_template(code.welcome_text, what="welcome_text")
    if len(code.welcome_text.encode("utf-8")) > WELCOME_MAX_BYTES:
        raise Unprocessable(f"welcome_text is over {WELCOME_MAX_BYTES} bytes")
    if len(code.welcome_attachments) + len(code.welcome_material_ids) > 9:
        raise Unprocessable("a welcome takes at most 9 attachments")
    if code.expires_at is not None and code.expires_at <= now:
        raise Unprocessable("expires_at is in the past")
