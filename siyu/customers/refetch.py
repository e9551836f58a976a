"""The contact re-fetch of every change_external_contact handler, done in its prefetch.

`externalcontact/get` (and `get_corp_tag_list` for tags Siyu has not seen yet) is called before
the handler's write transaction opens: on SQLite a WeCom round trip inside a write transaction
holds the database's only write lock, and every add (the callback gateway and the welcome claim
included) queued behind it. Nothing is locked while fetching, so two handlers of one contact can
fetch in one order and write in the other; `fetched_at` travels with the snapshot and the write
keeps the newest fetch (`customer_service.sync_contact`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from siyu.customers.service import ContactSnapshot, follow_tag_ids
from siyu.kit.clock import utcnow
from siyu.tags.handlers import payload, prefetch_unknown_tags
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import WeComApiError

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.inbox.handlers import PrefetchContext
    from siyu.runtime import Runtime
    from siyu.wecom.events import ExternalContactEvent

# "No relation with this contact" and "no such contact": WeCom holds nothing for us to mirror.
GONE_ERRCODES = frozenset({84061, 40096})
_MAX_PAGES = 200  # follow_user pages of 500: far beyond any real contact


@dataclass
class ContactPrefetch:
    """What a handler's prefetch learnt from WeCom, and when it asked."""

    snapshot: ContactSnapshot | None  # None: WeCom holds no relation with the contact
    fetched_at: datetime
    # get_corp_tag_list groups for tag ids the snapshot carries that Siyu did not know.
    tag_groups: list[dict[str, Any]] = field(default_factory=list)
    # The add hooks' results (siyu/customers/hooks.py), by hook name.
    hooks: dict[str, Any] = field(default_factory=dict)


def fetch_contact(runtime: Runtime, corp: Corp, external_userid: str) -> ContactSnapshot | None:
    client = client_for(runtime, corp)
    contact: dict[str, Any] = {}
    follow_users: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        try:
            answer = payload(
                client.externalcontact_get(external_userid=external_userid, cursor=cursor)
            )
        except WeComApiError as exc:
            if exc.errcode in GONE_ERRCODES:
                return None
            raise
        contact = payload(answer.get("external_contact") or {})
        follow_users.extend(payload(f) for f in answer.get("follow_user") or [])
        cursor = answer.get("next_cursor") or None
        if not cursor:
            break
    return ContactSnapshot(contact=contact, follow_users=follow_users)


def prefetch_contact(ctx: PrefetchContext, event: ExternalContactEvent) -> ContactPrefetch:
    """The contact as WeCom holds it now, plus the corp tags it carries that Siyu lacks."""
    # Taken before asking: the answer is at least as new as this moment.
    fetched_at = utcnow()
    snapshot = fetch_contact(ctx.runtime, ctx.corp, event.external_user_id)
    wanted: list[str] = []
    if snapshot is not None:
        wanted = list(dict.fromkeys(t for f in snapshot.follow_users for t in follow_tag_ids(f)))
    groups = prefetch_unknown_tags(ctx.runtime, ctx.corp, wanted) if wanted else []
    return ContactPrefetch(snapshot=snapshot, fetched_at=fetched_at, tag_groups=groups)
