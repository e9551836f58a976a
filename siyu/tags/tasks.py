"""The `tags.push` job: carry one recorded tag change to WeCom and record WeCom's answer.

Runs after the request committed. Transient failures (system busy, rate limits, network) raise,
so the job retries with back-off; WeCom refusing the change (a business errcode) is recorded on
the change and ends it. A change that depends on another one not yet confirmed (a tag in a group
WeCom has not created yet) waits by retrying.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from siyu.customers.service import customer_service
from siyu.events.service import TAG_ADDED, TAG_REMOVED, domain_events
from siyu.jobs import JobContext, job
from siyu.kit.clock import utcnow
from siyu.tags.changes import TagChange, TagChangeKind, TagChangeStatus
from siyu.tags.handlers import payload, tag_resolver
from siyu.tags.models import Tag
from siyu.tags.queries import tag_queries
from siyu.tags.service import PUSH_JOB
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import RETRYABLE, TOKEN_ERRCODES, WeComApiError

# Worth another attempt: busy, rate or concurrency limits, network, token trouble.
TRANSIENT_ERRCODES = RETRYABLE | TOKEN_ERRCODES


class NotReadyYet(Exception):
    """The change depends on one WeCom has not confirmed yet; the job retries later."""


@job(PUSH_JOB, max_attempts=10, retry_base_seconds=2.0, retry_cap_seconds=600.0)
def push_tag_change(ctx: JobContext, change_id: str) -> None:
    session = ctx.session
    change = tag_queries.get_change_by_id(session, uuid.UUID(change_id))
    if change is None or change.status != TagChangeStatus.pending:
        return  # already answered: a re-run after a crash changes nothing
    from siyu.corps.repository import corps

    corp = corps.get(session, change.corp_id)
    assert corp is not None
    client = client_for(ctx.runtime, corp)
    try:
        _push(ctx, session, change, client, corp)
    except WeComApiError as exc:
        if exc.errcode in TRANSIENT_ERRCODES:
            raise
        _refuse(session, change, exc.errcode, str(exc.errmsg))
        return
    change.status = TagChangeStatus.done
    change.finished_at = utcnow()


def _refuse(session: Session, change: TagChange, errcode: int, errmsg: str) -> None:
    change.status = TagChangeStatus.failed
    change.errcode = errcode
    change.error = errmsg[:2000]
    change.finished_at = utcnow()
    repo = tag_queries
    # A creation WeCom refused must not stay on screen as if it were pending.
    if change.kind == TagChangeKind.create_group and change.tag_group_id is not None:
        group = repo.get_group(session, change.corp_id, change.tag_group_id)
        if group is not None and group.wecom_group_id is None:
            group.deleted_at = change.finished_at
            for tag in _pending_tags(session, change.corp_id, group.id):
                tag.deleted_at = change.finished_at
    elif change.kind == TagChangeKind.create_tag and change.tag_id is not None:
        created = repo.get_tag(session, change.corp_id, change.tag_id)
        if created is not None and created.wecom_tag_id is None:
            created.deleted_at = change.finished_at
    session.flush()


def _pending_tags(session: Session, corp_id: uuid.UUID, group_id: uuid.UUID) -> list[Tag]:
    tags = tag_queries.tags_by_group(session, corp_id, [group_id]).get(group_id, [])
    return [t for t in tags if t.wecom_tag_id is None and t.deleted_at is None]


def _match_ids(tags: list[Tag], answer: dict[str, Any]) -> None:
    by_name = {t.name: t for t in tags}
    for item in answer.get("tag") or []:
        tag = by_name.get(str(item.get("name")))
        if tag is not None and item.get("id"):
            tag.wecom_tag_id = str(item["id"])


def _push(ctx: JobContext, session: Session, change: TagChange, client: Any, corp: Any) -> None:
    repo = tag_queries
    kind = TagChangeKind(change.kind)
    group = (
        repo.get_group(session, change.corp_id, change.tag_group_id)
        if change.tag_group_id
        else None
    )
    tag = repo.get_tag(session, change.corp_id, change.tag_id) if change.tag_id else None
    if kind in (TagChangeKind.create_group, TagChangeKind.create_tag):
        assert group is not None
        if group.deleted_at is not None:
            return  # deleted before WeCom heard of it: nothing to create
        pending = _pending_tags(session, change.corp_id, group.id)
        if kind is TagChangeKind.create_tag:
            pending = [t for t in pending if tag is not None and t.id == tag.id]
            if group.wecom_group_id is None:
                raise NotReadyYet(f"group {group.id} is not created in WeCom yet")
        if not pending:
            return
        specs = [{"name": t.name, "order": t.order} for t in pending]
        if group.wecom_group_id is None:
            answer = payload(
                client.add_corp_tag(group_name=group.name, order=group.order, tag=specs)
            )
        else:
            answer = payload(client.add_corp_tag(group_id=group.wecom_group_id, tag=specs))
        created = payload(answer.get("tag_group") or {})
        if created.get("group_id"):
            group.wecom_group_id = str(created["group_id"])
        _match_ids(pending, created)
        session.flush()
        return
    if kind in (TagChangeKind.edit_group, TagChangeKind.edit_tag):
        wecom_id = (
            group.wecom_group_id
            if kind is TagChangeKind.edit_group and group
            else (tag.wecom_tag_id if tag else None)
        )
        if wecom_id is None:
            raise NotReadyYet("the tag is not created in WeCom yet")
        fields = {k: v for k, v in change.payload.items() if k in ("name", "order")}
        client.edit_corp_tag(id=wecom_id, **fields)
        return
    if kind in (TagChangeKind.delete_group, TagChangeKind.delete_tag):
        target = group if kind is TagChangeKind.delete_group else tag
        wecom_id = (
            group.wecom_group_id
            if kind is TagChangeKind.delete_group and group
            else tag.wecom_tag_id
            if tag
            else None
        )
        if wecom_id is None:
            if target is not None and repo.has_pending_create(session, target_id=target.id):
                raise NotReadyYet("its creation is still on its way to WeCom")
            return
        if kind is TagChangeKind.delete_group:
            client.del_corp_tag(group_id=[wecom_id])
        else:
            client.del_corp_tag(tag_id=[wecom_id])
        return
    _push_mark(ctx, session, change, client, corp)


def _push_mark(
    ctx: JobContext, session: Session, change: TagChange, client: Any, corp: Any
) -> None:
    relation = (
        customer_service.relation_by_id(session, change.relation_id)
        if (change.relation_id)
        else None
    )
    if relation is None:
        return
    ids = [
        uuid.UUID(i) for i in [*change.payload.get("add", []), *change.payload.get("remove", [])]
    ]
    tags = {t.id: t for t in tag_queries.get_tags(session, change.corp_id, ids)}
    if any(t.wecom_tag_id is None for t in tags.values()):
        raise NotReadyYet("a tag is not created in WeCom yet")
    add = [
        tags[uuid.UUID(i)].wecom_tag_id or ""
        for i in change.payload.get("add", [])
        if uuid.UUID(i) in tags
    ]
    remove = [
        tags[uuid.UUID(i)].wecom_tag_id or ""
        for i in change.payload.get("remove", [])
        if uuid.UUID(i) in tags
    ]
    client.mark_tag(
        userid=relation.staff_userid,
        external_userid=relation.external_userid,
        add_tag=add,
        remove_tag=remove,
    )
    diff = customer_service.apply_marked_tags(
        session,
        relation=relation,
        add=add,
        remove=remove,
        resolve_tags=tag_resolver(ctx.runtime, corp, session),
    )
    for name, wecom_ids in ((TAG_ADDED, diff.added), (TAG_REMOVED, diff.removed)):
        for wecom_id in wecom_ids:
            domain_events.emit(
                session,
                corp_id=change.corp_id,
                name=name,
                subject_type="customer",
                subject_id=relation.external_userid,
                payload={
                    "staff_userid": relation.staff_userid,
                    "wecom_tag_id": wecom_id,
                    "source": "siyu",
                },
                dedup_key=f"tags.push:{change.id}:{name}:{wecom_id}",
            )
