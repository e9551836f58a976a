"""The callback handler registry: domains say which WeCom events they handle.

    @callback_handler("change_external_contact", "add_external_contact")
    def on_add(ctx: HandlerContext, event: AddExternalContact) -> None: ...

Dispatch goes through one table keyed by (Event, ChangeType). An event nobody registered for
raises `UnsupportedCallbackEvent`: the inbox marks the row `unsupported`, logs and counts it,
and never turns it into an error (WeCom adds events; storing them is enough until someone cares).

Handlers run inside the job's transaction (the one that also marks the job done), so their
database effects happen once. They must still be idempotent by natural key: replay from the
console runs them again on purpose, and effects outside the database (WeCom calls) can repeat.

A handler that needs WeCom's current state declares a `prefetch` function: it runs before the
write transaction opens, with the corp and the runtime but no session, and what it returns is
`ctx.prefetched` in the handler. On SQLite a write transaction holds the database's only write
lock, so a WeCom call made inside one stalls every other writer, the callback gateway included,
for as long as WeCom takes to answer. Since nothing is locked while prefetching, two handlers
of one subject can fetch in one order and write in the other: writes from a prefetch must keep
the newest fetch (e.g. compare a stored `fetched_at`).

    @callback_handler("change_external_contact", "add_external_contact", prefetch=fetch_contact)
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from siyu.wecom.events import CallbackEvent, UnknownEvent

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.runtime import Runtime

# Modules whose import registers the domains' callback handlers (like BUILTIN_JOB_MODULES).
# Domains add themselves here; plugins and tests use SIYU_JOB_MODULES, which is imported too.
CALLBACK_HANDLER_MODULES: tuple[str, ...] = (
    "siyu.customers.handlers",
    "siyu.groups.handlers",
    "siyu.tags.handlers",
    "siyu.acquisition.handlers",
)

EventKey = tuple[str, str | None]


@dataclass
class HandlerContext:
    """What a callback handler receives: the job's session, the corp the event belongs to."""

    session: Session
    corp: Corp
    runtime: Runtime
    inbox_event_id: uuid.UUID
    attempt: int
    now: datetime
    # True when an operator asked for this run (console / CLI replay), not WeCom.
    replay: bool = False

    # What the handler's `prefetch` returned (None without one).
    prefetched: Any = None


@dataclass(frozen=True)
class PrefetchContext:
    """What a prefetch receives: no session, so nothing it does holds a database lock. `corp`
    is detached (its columns are loaded; do not touch relationships)."""

    corp: Corp
    runtime: Runtime
    now: datetime
    # The stored event's row and when the gateway received it (the welcome path measures its
    # latency from there and keys its claim by it).
    inbox_event_id: uuid.UUID | None = None
    received_at: datetime | None = None


HandlerFunction = Callable[[HandlerContext, Any], None]
PrefetchFunction = Callable[[PrefetchContext, Any], Any]
# The urgent lane's work takes every event that queued up since its last turn (a batch of one
# under light load): see siyu/inbox/lane.py.
UrgentFunction = Callable[[Sequence[tuple[PrefetchContext, Any]]], None]


@dataclass(frozen=True)
class Registration:
    handle: HandlerFunction
    prefetch: PrefetchFunction | None = None
    # Run by the urgent lane (siyu/inbox/lane.py) as soon as the event is stored.
    urgent: UrgentFunction | None = None


class UnsupportedCallbackEvent(Exception):
    """No handler is registered for this (Event, ChangeType)."""

    def __init__(self, event: str, change_type: str | None) -> None:
        super().__init__(f"no callback handler for {event}/{change_type or '-'}")
        self.event = event
        self.change_type = change_type


_handlers: dict[EventKey, Registration] = {}


def callback_handler(
    event: str,
    change_type: str | None = None,
    *,
    prefetch: PrefetchFunction | None = None,
    urgent: UrgentFunction | None = None,
) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register `fn(ctx, event)` for one (Event, ChangeType); one handler per pair.

    `urgent([(ctx, event), ...])` is started by the gateway's process the moment the event is
    stored (siyu/inbox/lane.py), ahead of any job backlog, with whatever else queued up
    meanwhile. It is best-effort, so the prefetch must do the same work again, idempotently
    (the durable path)."""

    def register(fn: HandlerFunction) -> HandlerFunction:
        existing = _handlers.get((event, change_type))
        if existing is not None and existing.handle is not fn:
            name = getattr(existing.handle, "__qualname__", repr(existing.handle))
            raise ValueError(f"{event}/{change_type} already has a handler: {name}")
        _handlers[(event, change_type)] = Registration(fn, prefetch, urgent)
        return fn

    return register


def remove_handler(event: str, change_type: str | None = None) -> None:
    """Forget a registration (tests that register handlers of their own)."""
    _handlers.pop((event, change_type), None)


def event_key(event: CallbackEvent | UnknownEvent) -> EventKey:
    if isinstance(event, UnknownEvent):
        return event.event, event.change_type
    return event.EVENT, event.CHANGE_TYPE


def get_registration(event: CallbackEvent | UnknownEvent) -> Registration:
    registration = _handlers.get(event_key(event))
    if registration is None:
        raise UnsupportedCallbackEvent(*event_key(event))
    return registration


def find_registration(event: CallbackEvent | UnknownEvent) -> Registration | None:
    return _handlers.get(event_key(event))


def get_handler(event: CallbackEvent | UnknownEvent) -> HandlerFunction:
    return get_registration(event).handle


def registered_events() -> list[EventKey]:
    return sorted(_handlers, key=lambda key: (key[0], key[1] or ""))


def load_handler_modules(extra: tuple[str, ...] | list[str] = ()) -> None:
    for module in (*CALLBACK_HANDLER_MODULES, *extra):
        importlib.import_module(module)
