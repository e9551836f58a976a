"""change_external_contact callbacks (API-FACTS §3.1).

Every handler re-fetches `externalcontact/get` in its prefetch, before its write transaction
(siyu/customers/refetch.py), and lets `customer_service.sync_contact` make the contact and its
relations equal to that answer (unless a newer fetch was written meanwhile), then applies the
one fact only the callback knows (who deleted whom). Domain events are facts about the callback
itself, each with a dedup key derived from the inbox key, so a duplicated or replayed callback
records nothing new, and the counts equal the number of distinct callbacks whatever their order.
"""

from __future__ import annotations

from typing import Any

import structlog

from siyu.customers import hooks
from siyu.customers.refetch import ContactPrefetch, prefetch_contact
from siyu.customers.service import ContactSync, customer_service, from_timestamp
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
from siyu.tags.handlers import fact_key, prefetched_tag_resolver
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

log = structlog.get_logger("siyu.customers")


def sync_from_wecom(ctx: HandlerContext, event: ExternalContactEvent) -> ContactSync:
    """Write the contact as the prefetch found it (`refetch.prefetch_contact`), under the
    contact's lock, unless a newer fetch was written meanwhile."""
    fetched: ContactPrefetch = ctx.prefetched
    customer_service.lock_contact(
        ctx.session, corp_id=ctx.corp.id, external_userid=event.external_user_id
    )
    return customer_service.sync_contact(
        ctx.session,
        corp_id=ctx.corp.id,
        external_userid=event.external_user_id,
        snapshot=fetched.snapshot,
        at=ctx.now,
        fetched_at=fetched.fetched_at,
        resolve_tags=prefetched_tag_resolver(ctx.session, ctx.corp.id, fetched.tag_groups),
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


def before_add(ctx: PrefetchContext, event: AddExternalContact) -> ContactPrefetch:
    """The add hooks' WeCom work (the welcome: it has 20 s, so it goes first), then the
    contact re-fetch, all before the write transaction opens."""
    done = hooks.run_before(ctx, event)
    fetched = prefetch_contact(ctx, event)
    fetched.hooks = done
    return fetched


@callback_handler(
    "change_external_contact",
    "add_external_contact",
    prefetch=before_add,
    urgent=hooks.run_before_many,
)
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
    hooks.run_after(ctx, event, sync, ctx.prefetched.hooks)


@callback_handler(
    "change_external_contact",
    "add_half_external_contact",
    prefetch=before_add,
    urgent=hooks.run_before_many,
)
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
    hooks.run_after(ctx, event, sync, ctx.prefetched.hooks)


@callback_handler("change_external_contact", "edit_external_contact", prefetch=prefetch_contact)
def on_edit(ctx: HandlerContext, event: EditExternalContact) -> None:
    sync = sync_from_wecom(ctx, event)
    if sync.changed_relations or sync.tag_diffs:
        emit(ctx, event, CUSTOMER_UPDATED, customer_id=_customer_id(sync))
    emit_tag_changes(ctx, event, sync)


@callback_handler("change_external_contact", "del_external_contact", prefetch=prefetch_contact)
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


@callback_handler("change_external_contact", "del_follow_user", prefetch=prefetch_contact)
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


@callback_handler("change_external_contact", "transfer_fail", prefetch=prefetch_contact)
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


@callback_handler("change_external_contact", "msg_audit_approved", prefetch=prefetch_contact)
def on_msg_audit_approved(ctx: HandlerContext, event: MsgAuditApproved) -> None:
    """Consent to chat archiving changes no contact data; keep the contact fresh anyway."""
    sync_from_wecom(ctx, event)
