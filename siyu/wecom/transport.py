"""The per-process half of the WeCom client: one pool of keep-alive connections, the shared-store
token cache, the limiter and the journal writer. Every `WeComClient` of the process uses it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, make_url
from sqlalchemy.exc import OperationalError

from siyu.db.base import Base
from siyu.db.dialect import is_postgres
from siyu.db.session import Database
from siyu.settings import Settings
from siyu.wecom.http import KeepAliveHttp
from siyu.wecom.journal import JournalWriter
from siyu.wecom.models import WeComRateWindow, WeComSlot, WeComToken
from siyu.wecom.ratelimit import Limiter, Sleep
from siyu.wecom.repository import DbStore
from siyu.wecom.store import MemoryStore, RedisStore, SharedStore
from siyu.wecom.tokens import TokenCache

if TYPE_CHECKING:
    from siyu.runtime import Runtime


@dataclass
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0


@dataclass
class WeComTransport:
    http: KeepAliveHttp
    store: SharedStore
    tokens: TokenCache
    limiter: Limiter
    journal: JournalWriter
    retry: RetryPolicy
    sleep: Sleep = time.sleep
    _janitor_stop: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def build(
        cls,
        settings: Settings,
        journal: JournalWriter,
        *,
        store: SharedStore,
        sleep: Sleep = time.sleep,
        http: KeepAliveHttp | None = None,
    ) -> WeComTransport:
        timeout = settings.wecom_timeout_seconds
        limiter = Limiter(
            store,
            rate_per_minute=settings.wecom_rate_per_minute,
            max_concurrency=settings.wecom_max_concurrency,
            api_concurrency=settings.wecom_api_concurrency,
            call_seconds=timeout,
            sleep=sleep,
        )
        transport = cls(
            http=http or KeepAliveHttp(timeout=timeout),
            store=store,
            tokens=TokenCache(store, sleep=sleep),
            limiter=limiter,
            journal=journal,
            retry=RetryPolicy(max_attempts=settings.wecom_max_attempts),
            sleep=sleep,
        )
        threading.Thread(target=transport._janitor, name="wecom-slots", daemon=True).start()
        return transport

    def _janitor(self) -> None:
        # Idle concurrency slots go back to the shared store so other processes can use them.
        while not self._janitor_stop.wait(self.limiter.linger):
            try:
                self.limiter.release_idle()
            except Exception:  # the store is briefly unreachable; leases expire anyway
                continue

    def close(self) -> None:
        self._janitor_stop.set()
        self.limiter.release_idle(everything=True)
        self.journal.close()
        self.http.close()
        if isinstance(self.store, RedisStore):
            self.store.close()


_ATTR = "_wecom_transport"
_build_lock = threading.Lock()


def single_connection(db: Database) -> bool:
    """True for a Database bound to one connection (the test fixture): only its owner thread
    may use it, so the transport keeps its state in memory and journals only on close."""
    session = db.session(write=False)
    try:
        return isinstance(session.get_bind(), Connection)
    finally:
        session.close()


def coordination_store(db: Database, *, redis_url: str | None = None) -> SharedStore:
    """Redis when configured; else PostgreSQL itself; else a SQLite file beside the database.

    SQLite has one writer at a time: a request that holds a write transaction while it calls
    WeCom would wait on itself if the token lease or a slot needed the same file. The sidecar
    file has its own lock, and every process using the database finds the same sidecar.
    """
    if redis_url:
        return RedisStore(redis_url)
    if single_connection(db):
        return MemoryStore()
    if is_postgres(db.engine):
        return DbStore(db)
    url = make_url(db.url)
    if not url.database or url.database == ":memory:":
        return DbStore(db)
    sidecar = Database(url.set(database=f"{url.database}-wecom").render_as_string(False))
    tables = [
        Base.metadata.tables[model.__tablename__]
        for model in (WeComToken, WeComRateWindow, WeComSlot)
    ]
    try:
        Base.metadata.create_all(sidecar.engine, tables=tables)
    except OperationalError:  # another process created them a moment ago
        Base.metadata.create_all(sidecar.engine, tables=tables)
    return DbStore(sidecar)


def wecom_transport(runtime: Runtime) -> WeComTransport:
    """The runtime's transport, created on first use (API process or worker alike)."""
    transport: WeComTransport | None = getattr(runtime, _ATTR, None)
    if transport is None:
        with _build_lock:
            transport = getattr(runtime, _ATTR, None)
            if transport is None:
                store = coordination_store(runtime.db, redis_url=runtime.settings.redis_url)
                journal = JournalWriter(runtime.db, background=not single_connection(runtime.db))
                transport = WeComTransport.build(runtime.settings, journal, store=store)
                setattr(runtime, _ATTR, transport)
    return transport


def close_wecom_transport(runtime: Runtime) -> None:
    transport: WeComTransport | None = getattr(runtime, _ATTR, None)
    if transport is not None:
        setattr(runtime, _ATTR, None)
        transport.close()
