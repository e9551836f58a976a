"""change_external_contact callbacks (API-FACTS §3.1).

Every handler re-fetches `externalcontact/get` and lets `customer_service.sync_contact` make
the contact and its relations equal to WeCom's current answer, then applies the one fact only
the callback knows (who deleted whom). Domain events are facts about the callback itself, each
with a dedup key derived from the inbox key, so a duplicated or replayed callback records
nothing new, and the counts equal the number of distinct callbacks whatever their order.
"""

from __future__ import annotations

from typing import Any

import structlog

from siyu.customers import hooks
from siyu.customers.service import ContactSnapshot, ContactSync, customer_service, from_timestamp
from siyu.events.service import (
    CUSTOMER_ADDED,
    CUSTOMER_LOST,
    CUSTOMER_REMOVED,
    CUSTOMER_UPDATED,
    TAG_ADDED,
    TAG_REMOVED,
    domain_events,
)
from siyu.inbox.handlers import HandlerContext, PrefetchContext, callback_handler
from siyu.tags.handlers import fact_key, payload, tag_resolver
from siyu.wecom.client import client_for
from siyu.wecom.events import (
    AddExternalContact,
    AddHalfExternalContact,
    DelExternalContact,
    DelFollowUser,
    EditExternalContact,
    ExternalContactEvent,
    MsgAuditApproved,
    TransferFail,
)
from siyu.wecom.exceptions import WeComApiError

log = structlog.get_logger("siyu.customers")

# "No relation with this contact" and "no such contact": WeCom holds nothing for us to mirror.
GONE_ERRCODES = frozenset({84061, 40096})
_MAX_PAGES = 200  # follow_user pages of 500: far beyond any real contact


def fetch_contact(ctx: HandlerContext, external_userid: str) -> ContactSnapshot | None:
    client = client_for(ctx.runtime, ctx.corp)
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


def sync_from_wecom(ctx: HandlerContext, event: ExternalContactEvent) -> ContactSync:
    customer_service.lock_contact(
        ctx.session, corp_id=ctx.corp.id, external_userid=event.external_user_id
    )
    snapshot = fetch_contact(ctx, event.external_user_id)
    return customer_service.sync_contact(
        ctx.session,
        corp_id=ctx.corp.id,
        external_userid=event.external_user_id,
        snapshot=snapshot,
        at=ctx.now,
        resolve_tags=tag_resolver(ctx.runtime, ctx.corp, ctx.session),
    )


def emit(
    ctx: HandlerContext,
    event: ExternalContactEvent,
    name: str,
    suffix: str = "",
    **details: Any,
) -> None:
    domain_events.emit(
        ctx.session,
        corp_id=ctx.corp.id,
        name=name,
        subject_type="customer",
        subject_id=event.external_user_id,
        payload={"staff_userid": event.user_id, **details},
        occurred_at=from_timestamp(event.create_time) or ctx.now,
        dedup_key=fact_key(event, f"{name}{suffix}"),
    )


def emit_tag_changes(ctx: HandlerContext, event: ExternalContactEvent, sync: ContactSync) -> None:
    for userid, diff in sync.tag_diffs.items():
        for name, ids in ((TAG_ADDED, diff.added), (TAG_REMOVED, diff.removed)):
            for wecom_tag_id in ids:
                domain_events.emit(
                    ctx.session,
                    corp_id=ctx.corp.id,
                    name=name,
                    subject_type="customer",
                    subject_id=event.external_user_id,
                    payload={
                        "staff_userid": userid,
                        "wecom_tag_id": wecom_tag_id,
                        "source": "wecom",
                    },
                    occurred_at=from_timestamp(event.create_time) or ctx.now,
                    dedup_key=fact_key(event, f"{name}:{userid}:{wecom_tag_id}"),
                )


def _customer_id(sync: ContactSync) -> str | None:
    return str(sync.customer.id) if sync.customer is not None else None


def before_add(ctx: PrefetchContext, event: AddExternalContact) -> dict[str, Any]:
    """The add hooks' WeCom work (the welcome), before the write transaction opens."""
    return hooks.run_before(ctx, event)


@callback_handler("change_external_contact", "add_external_contact", prefetch=before_add)
def on_add(ctx: HandlerContext, event: AddExternalContact) -> None:
    sync = sync_from_wecom(ctx, event)
    emit(
        ctx,
        event,
        CUSTOMER_ADDED,
        customer_id=_customer_id(sync),
        state=event.state,
        welcome_code=bool(event.welcome_code),
    )
    emit_tag_changes(ctx, event, sync)
    hooks.run_after(ctx, event, sync)


@callback_handler("change_external_contact", "add_half_external_contact", prefetch=before_add)
def on_half_add(ctx: HandlerContext, event: AddHalfExternalContact) -> None:
    """The customer added a member who has not confirmed yet: mirror whatever WeCom has; the
    relation counts as added once WeCom returns it."""
    sync = sync_from_wecom(ctx, event)
    if event.user_id in sync.relations:
        emit(
            ctx,
            event,
            CUSTOMER_ADDED,
            customer_id=_customer_id(sync),
            state=event.state,
            welcome_code=bool(event.welcome_code),
            half=True,
        )
    emit_tag_changes(ctx, event, sync)
    hooks.run_after(ctx, event, sync)


@callback_handler("change_external_contact", "edit_external_contact")
def on_edit(ctx: HandlerContext, event: EditExternalContact) -> None:
    sync = sync_from_wecom(ctx, event)
    if sync.changed_relations or sync.tag_diffs:
        emit(ctx, event, CUSTOMER_UPDATED, customer_id=_customer_id(sync))
    emit_tag_changes(ctx, event, sync)


@callback_handler("change_external_contact", "del_external_contact")
def on_staff_deleted_customer(ctx: HandlerContext, event: DelExternalContact) -> None:
    sync = sync_from_wecom(ctx, event)
    customer_service.mark_deleted_by_staff(
        sync,
        staff_userid=event.user_id,
        at=from_timestamp(event.create_time) or ctx.now,
        source=event.source,
    )
    ctx.session.flush()
    emit(ctx, event, CUSTOMER_REMOVED, customer_id=_customer_id(sync), source=event.source)
    emit_tag_changes(ctx, event, sync)


@callback_handler("change_external_contact", "del_follow_user")
def on_customer_deleted_staff(ctx: HandlerContext, event: DelFollowUser) -> None:
    sync = sync_from_wecom(ctx, event)
    customer_service.mark_deleted_by_customer(
        ctx.session,
        sync,
        staff_userid=event.user_id,
        at=from_timestamp(event.create_time) or ctx.now,
    )
    emit(
        ctx,
        event,
        CUSTOMER_LOST,
        customer_id=_customer_id(sync),
        customer_status=sync.customer.status if sync.customer is not None else None,
    )
    emit_tag_changes(ctx, event, sync)


@callback_handler("change_external_contact", "transfer_fail")
def on_transfer_fail(ctx: HandlerContext, event: TransferFail) -> None:
    """The take-over member did not get the customer (refused, or at the friend cap). The
    relations are whatever WeCom says now; the inbox row keeps the event itself."""
    sync_from_wecom(ctx, event)
    log.info(
        "transfer_failed",
        corp_id=str(ctx.corp.id),
        takeover_userid=event.user_id,
        external_userid=event.external_user_id,
        reason=event.fail_reason,
    )


@callback_handler("change_external_contact", "msg_audit_approved")
def on_msg_audit_approved(ctx: HandlerContext, event: MsgAuditApproved) -> None:
    """Consent to chat archiving changes no contact data; keep the contact fresh anyway."""
    sync_from_wecom(ctx, event)
