"""change_external_tag callbacks: re-fetch the tags concerned from WeCom and mirror them.

The callback carries only an id and what kind of change happened; `get_corp_tag_list` is the
truth, so a late or repeated event re-reads the current state instead of replaying its own
(API-FACTS §3.3). Deletions are final (WeCom never reuses ids), so a delete needs no re-fetch.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from siyu.corps.models import Corp
from siyu.customers.service import TagResolver, customer_service
from siyu.inbox.handlers import HandlerContext, callback_handler
from siyu.inbox.service import dedup_key
from siyu.runtime import Runtime
from siyu.tags.service import tag_service
from siyu.wecom.client import client_for
from siyu.wecom.events import (
    CallbackEvent,
    ExternalTagCreate,
    ExternalTagDelete,
    ExternalTagEvent,
    ExternalTagShuffle,
    ExternalTagUpdate,
)

_FACT_KEY_LIMIT = 255


def payload(result: Any) -> dict[str, Any]:
    """The client's typed answer as plain WeCom JSON."""
    if isinstance(result, dict):
        return result
    dump = getattr(result, "model_dump", None)
    if dump is not None:
        data: dict[str, Any] = dump(mode="json", by_alias=True)
        return data
    return dict(result)


def fact_key(event: CallbackEvent, suffix: str) -> str:
    """A domain event's dedup key: `inbox:{the callback's natural key}:{what}`. Keys that would
    pass the column's 255 characters (member lists make long ones) use a digest of the
    callback's key instead, which is just as stable across retries and replays."""
    base = dedup_key(event)
    key = f"inbox:{base}:{suffix}"
    if len(key) <= _FACT_KEY_LIMIT:
        return key
    digest = hashlib.sha256(base.encode()).hexdigest()
    return f"inbox:{digest}:{suffix}"[:_FACT_KEY_LIMIT]


def fetch_tag_groups(
    runtime: Runtime, corp: Corp, *, tag_ids: Sequence[str] = (), group_ids: Sequence[str] = ()
) -> list[dict[str, Any]]:
    client = client_for(runtime, corp)
    answer = payload(
        client.get_corp_tag_list(tag_id=list(tag_ids) or None, group_id=list(group_ids) or None)
    )
    groups = answer.get("tag_group") or []
    return [payload(g) for g in groups]


def tag_resolver(runtime: Runtime, corp: Corp, session: Session) -> TagResolver:
    """WeCom tag ids → local tag ids, fetching corp tags Siyu has not seen yet (a relation can
    carry a tag whose create callback has not been handled yet)."""

    def resolve(wecom_ids: Sequence[str]) -> dict[str, uuid.UUID]:
        corp_id = corp.id
        known = tag_service.known_wecom_tags(session, corp_id=corp_id, wecom_ids=wecom_ids)
        unknown = [t for t in wecom_ids if t not in known]
        if not unknown:
            return {wecom_id: tag.id for wecom_id, tag in known.items()}
        groups = fetch_tag_groups(runtime, corp, tag_ids=unknown)
        tag_service.apply_wecom_groups(session, corp_id=corp_id, groups=groups)
        known = tag_service.known_wecom_tags(session, corp_id=corp_id, wecom_ids=wecom_ids)
        return {wecom_id: tag.id for wecom_id, tag in known.items()}

    return resolve


def prefetch_unknown_tags(
    runtime: Runtime, corp: Corp, wecom_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Before a write transaction: the get_corp_tag_list groups of the tag ids Siyu does not
    know yet (a relation can carry a tag whose create callback has not been handled yet)."""
    with runtime.db.transaction(write=False) as session:
        known = tag_service.known_wecom_tags(session, corp_id=corp.id, wecom_ids=wecom_ids)
    unknown = [t for t in wecom_ids if t not in known]
    return fetch_tag_groups(runtime, corp, tag_ids=unknown) if unknown else []


def prefetched_tag_resolver(
    session: Session, corp_id: uuid.UUID, groups: Sequence[dict[str, Any]]
) -> TagResolver:
    """Like `tag_resolver`, with the unknown tags already fetched (`prefetch_unknown_tags`):
    it stores those groups and resolves from the database only, never calling WeCom."""
    if groups:
        tag_service.apply_wecom_groups(session, corp_id=corp_id, groups=groups)

    def resolve(wecom_ids: Sequence[str]) -> dict[str, uuid.UUID]:
        known = tag_service.known_wecom_tags(session, corp_id=corp_id, wecom_ids=wecom_ids)
        return {wecom_id: tag.id for wecom_id, tag in known.items()}

    return resolve


def _refresh(ctx: HandlerContext, event: ExternalTagEvent) -> None:
    is_group = event.tag_type == "tag_group"
    groups = fetch_tag_groups(
        ctx.runtime,
        ctx.corp,
        tag_ids=[] if is_group else [event.id],
        group_ids=[event.id] if is_group else [],
    )
    tag_service.apply_wecom_groups(ctx.session, corp_id=ctx.corp.id, groups=groups)
    if not groups:
        # Asked by id and nothing came back: it was deleted after this event was sent.
        _delete(ctx, event.id, is_group=is_group)


def _delete(ctx: HandlerContext, wecom_id: str, *, is_group: bool) -> None:
    gone = tag_service.mark_wecom_deleted(
        ctx.session, corp_id=ctx.corp.id, wecom_id=wecom_id, is_group=is_group
    )
    if gone:
        # WeCom strips a deleted tag from every customer without telling anyone.
        customer_service.drop_tags(
            ctx.session,
            tag_ids=[t.id for t in gone],
            wecom_tag_ids=[t.wecom_tag_id or "" for t in gone],
        )


@callback_handler("change_external_tag", "create")
def on_tag_create(ctx: HandlerContext, event: ExternalTagCreate) -> None:
    _refresh(ctx, event)


@callback_handler("change_external_tag", "update")
def on_tag_update(ctx: HandlerContext, event: ExternalTagUpdate) -> None:
    _refresh(ctx, event)


@callback_handler("change_external_tag", "delete")
def on_tag_delete(ctx: HandlerContext, event: ExternalTagDelete) -> None:
    _delete(ctx, event.id, is_group=event.tag_type == "tag_group")


@callback_handler("change_external_tag", "shuffle")
def on_tag_shuffle(ctx: HandlerContext, event: ExternalTagShuffle) -> None:
    """Orders changed within a group (Id) or across groups (no Id): re-read them all."""
    groups = fetch_tag_groups(ctx.runtime, ctx.corp, group_ids=[event.id] if event.id else [])
    tag_service.apply_wecom_groups(ctx.session, corp_id=ctx.corp.id, groups=groups)
