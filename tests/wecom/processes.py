"""What the processes that the WeCom tests spawn run: module-level functions, in a module that
imports only what they use. A spawned process imports the module of its target first; from the
test modules that was the whole app (tests.conftest) in every process, seconds of CPU each."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from siyu.db.session import Database
from siyu.kit.clock import utcnow
from siyu.wecom.repository import DbStore
from siyu.wecom.store import RedisStore, SharedStore

StoreSpec = tuple[str, str, str]  # backend, url, key prefix
CORP_ID = "wwclienttest00001"
SECRET = "c" * 43


def open_store(spec: StoreSpec) -> tuple[SharedStore, Database | None]:
    backend, url, prefix = spec
    if backend == "redis":
        return RedisStore(url, prefix=prefix), None
    database = Database(url)
    return DbStore(database), database


def drain_bucket(spec: StoreSpec, out: Any) -> None:
    store, database = open_store(spec)
    granted = 0
    while taken := store.take("wwcorp", "externalcontact/get", 29_000_000, 7, 100):
        granted += taken
    out.put(granted)
    if database is not None:
        database.dispose()


def grab_slots(spec: StoreSpec, holder: str, out: Any) -> None:
    store, database = open_store(spec)
    until = utcnow() + timedelta(seconds=60)
    slots = []
    while (slot := store.lease_slot("wwcorp", "externalcontact/get", 5, holder, until)) is not None:
        slots.append(slot)
    out.put(slots)
    if database is not None:
        database.dispose()


def hammer(base_url: str, db_url: str, out: Any) -> None:
    from siyu.wecom.client import WeComClient
    from siyu.wecom.journal import JournalWriter
    from siyu.wecom.tokens import AppCredentials
    from siyu.wecom.transport import WeComTransport, coordination_store
    from tests.helpers.settings import make_settings

    database = Database(db_url)
    settings = make_settings(db_url, wecom_max_concurrency=3)
    transport = WeComTransport.build(
        settings, JournalWriter(database), store=coordination_store(database)
    )
    wecom = WeComClient(
        AppCredentials(wecom_corp_id=CORP_ID, secret=SECRET, base_url=base_url),
        transport=transport,
    )
    with ThreadPoolExecutor(6) as pool:
        done = sum(1 for _ in pool.map(lambda _: wecom.department_list(), range(40)))
    transport.close()
    database.dispose()
    out.put(done)


def lease(url: str, holder: str, out: Any) -> None:
    database = Database(url)
    out.put(DbStore(database).lease_refresh("corp:app", holder, 30))
    database.dispose()
