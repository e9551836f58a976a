"""Set-based selects over groups for domains that plan over them (messaging's group sends)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from siyu.auth.scope import DataScope
from siyu.groups.models import CustomerGroup

# Any select, whatever its columns (Select is variadic in SQLAlchemy 2.1).
Rows = Select[*tuple[Any, ...]]


def live_groups(
    scope: DataScope, *, chat_ids: Sequence[str] | None, owner_userids: Sequence[str] | None
) -> Rows:
    """(chat_id, owner_userid) of the groups in `scope` that still exist, limited to the given
    chat ids and/or owners."""
    g = CustomerGroup
    stmt = select(g.chat_id.label("chat_id"), g.owner_userid.label("owner_userid")).where(
        scope.condition(corp_column=g.corp_id, owner_column=g.owner_userid),
        g.dismissed_at.is_(None),
        g.missing_since.is_(None),
    )
    if chat_ids is not None:
        stmt = stmt.where(g.chat_id.in_(list(chat_ids)))
    if owner_userids is not None:
        stmt = stmt.where(g.owner_userid.in_(list(owner_userids)))
    return stmt
