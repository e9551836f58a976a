"""Job and periodic-job definitions, registered by decorators at import time."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.jobs.context import JobContext

JobFunction = Callable[..., None]


@dataclass(frozen=True)
class JobDefinition:
    name: str
    function: Callable[..., None]
    max_attempts: int | None  # None: the settings' default
    retry_base_seconds: float
    retry_cap_seconds: float


@dataclass(frozen=True)
class PeriodicDefinition:
    name: str
    every: timedelta


_jobs: dict[str, JobDefinition] = {}
_periodic: dict[str, PeriodicDefinition] = {}

# Modules whose import registers Siyu's own jobs; domains add themselves here.
BUILTIN_JOB_MODULES = (
    "siyu.jobs.builtin",
    "siyu.exports.tasks",
    "siyu.identity.tasks",
    "siyu.customers.imports.tasks",
    "siyu.inbox.tasks",
    "siyu.tags.tasks",
    "siyu.tags.bulk.tasks",
    "siyu.sync.tasks",
    "siyu.wecom.tasks",
    "siyu.profile.tasks",
    "siyu.lost.tasks",
    "siyu.acquisition.tasks",
    "siyu.materials.tasks",
    "siyu.groupcodes.tasks",
    "siyu.moments.tasks",
    "siyu.messaging.tasks",
)


def job(
    name: str,
    *,
    max_attempts: int | None = None,
    retry_base_seconds: float = 5.0,
    retry_cap_seconds: float = 3600.0,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register `fn(ctx: JobContext, **args)` as the handler of jobs called `name`.

    Handlers run inside a transaction that also marks the run done, so database effects happen
    exactly once. Effects outside the database (WeCom calls) must be idempotent by natural key.
    """

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        if name in _jobs and _jobs[name].function is not fn:
            raise ValueError(f"job {name!r} is registered twice")
        _jobs[name] = JobDefinition(name, fn, max_attempts, retry_base_seconds, retry_cap_seconds)
        return fn

    return register


def periodic(
    name: str, *, every: timedelta
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a job that runs once per `every` across all workers (the slot is the key)."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        job(name)(fn)
        _periodic[name] = PeriodicDefinition(name, every)
        return fn

    return register


def get_job(name: str) -> JobDefinition | None:
    return _jobs.get(name)


def periodic_jobs() -> list[PeriodicDefinition]:
    return list(_periodic.values())


def load_job_modules(extra: tuple[str, ...] | list[str] = ()) -> None:
    for module in (*BUILTIN_JOB_MODULES, *extra):
        importlib.import_module(module)


def registered_names() -> list[str]:
    return sorted(_jobs)


def _typecheck_context(_: JobContext) -> Any:  # keeps the TYPE_CHECKING import honest
    return None
