"""Other domains' part of an add callback (acquisition: welcome, auto tags, auto remark).

One handler per (Event, ChangeType) keeps dispatch simple, so the add handlers call these hooks
rather than each domain registering its own. A hook's `before` runs in the urgent lane as soon as
the gateway has stored the add (siyu/inbox/lane.py; `before_many`, when given, takes every add
that queued there at once), and again in the handler's prefetch, the durable path: no session
is open, so it may call WeCom (the welcome must go out within 20 s, and must not wait for the
write lock or for the job queue). Its `after` runs inside the
handler's transaction once the contact is mirrored, with what the prefetch's `before` returned.
Hooks are registered at import (CALLBACK_HANDLER_MODULES) and must be idempotent: the lane,
the prefetch, replays and retries all run them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.customers.service import ContactSync
    from siyu.inbox.handlers import HandlerContext, PrefetchContext
    from siyu.wecom.events import AddExternalContact


@dataclass(frozen=True)
class AddHook:
    name: str
    before: Callable[[PrefetchContext, AddExternalContact], Any] | None = None
    # The urgent lane's form of `before`, for a batch of adds (its results are not kept).
    before_many: Callable[[Sequence[tuple[PrefetchContext, AddExternalContact]]], Any] | None = None
    after: Callable[[HandlerContext, AddExternalContact, ContactSync, Any], None] | None = None


_hooks: dict[str, AddHook] = {}


def register_add_hook(hook: AddHook) -> None:
    _hooks[hook.name] = hook


def remove_add_hook(name: str) -> None:
    _hooks.pop(name, None)


def run_before(ctx: PrefetchContext, event: AddExternalContact) -> dict[str, Any]:
    return {name: hook.before(ctx, event) for name, hook in _hooks.items() if hook.before}


def run_before_many(adds: Sequence[tuple[PrefetchContext, AddExternalContact]]) -> None:
    """The urgent lane's turn: every hook's `before` for a batch of adds."""
    for hook in _hooks.values():
        if hook.before_many is not None:
            hook.before_many(adds)
        elif hook.before is not None:
            for ctx, event in adds:
                hook.before(ctx, event)


def run_after(
    ctx: HandlerContext, event: AddExternalContact, sync: ContactSync, before: dict[str, Any]
) -> None:
    """`before` is what `run_before` returned for this event."""
    for name, hook in _hooks.items():
        if hook.after is not None:
            hook.after(ctx, event, sync, before.get(name))
