"""A corp filled by a real full sync from the WeCom sandbox, for the console's data pages.

The sandbox serves over loopback while the test runs (the corp's API base URL points at it);
the sync runs inline against the live server's database, exactly as the `sync.full` job
would, so customers, relations, tags, groups, the call journal and the sync history are
the rows the console really meets. Each world has a WeCom corp id and login emails of its own,
so worlds of many tests live side by side in the shared server's database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from siyu.audit.context import AuditContext, bind_audit_context
from siyu.auth.management import membership_service
from siyu.auth.models import Role
from siyu.auth.schemas import MemberCreate
from siyu.corps.schemas import CorpCreate
from siyu.corps.service import corp_service
from siyu.customers.models import Customer, FollowRelation
from siyu.db.session import Database
from siyu.inbox.models import InboxEvent
from siyu.inbox.service import inbox_service
from siyu.jobs.registry import load_job_modules
from siyu.kit.secrets import SecretBox
from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world
from siyu.sync.engine import SyncEngine, SyncOptions
from siyu.sync.service import sync_service
from siyu.wecom.client import WeComClient
from siyu.wecom.events import parse_event
from siyu.wecom.journal import JournalWriter
from siyu.wecom.repository import DbStore
from siyu.wecom.tokens import AppCredentials
from siyu.wecom.transport import WeComTransport
from tests.conftest import TEST_SECRET_KEY, make_settings
from tests.sandbox.helpers import serve_in_thread

SECRET = "c" * 43
CORP_NAME = "同步示例"
FIXTURES = Path(__file__).resolve().parents[1] / "inbox" / "fixtures"


@dataclass(frozen=True)
class Login:
    email: str
    password: str


@dataclass(frozen=True)
class SyncedWorld:
    corp_id: uuid.UUID
    callback_key: str
    owner: Login
    staff: Login
    staff_userid: str
    # Customer names: all of them, and those with a relation to `staff_userid`.
    customers: dict[uuid.UUID, str]
    own_customers: dict[uuid.UUID, str]
    inbox_event_id: uuid.UUID
    # The sandbox behind the corp, serving while the test runs (tests may act in it).
    sandbox: SandboxState
    sandbox_corp: str


PASSWORD = "correct horse battery"


def _seed_corp(
    db: Database, sandbox_url: str, wecom_corp_id: str, owner: Login, staff: Login, userid: str
) -> tuple[uuid.UUID, str]:
    with db.transaction() as session:
        corp = corp_service.create(
            session,
            data=CorpCreate(
                wecom_corp_id=wecom_corp_id,
                name=CORP_NAME,
                app_secret=SECRET,
                api_base_url=sandbox_url,
                is_sandbox=True,
            ),
            box=SecretBox(TEST_SECRET_KEY),
        )
        bind_audit_context(
            session, AuditContext(actor_label="cli:e2e-seed", corp_id=corp.id), guard_writes=False
        )
        membership_service.add(
            session,
            corp_id=corp.id,
            data=MemberCreate(
                email=owner.email,
                role=Role.owner,
                display_name="王小明",
                password=owner.password,
            ),
            actor_role=Role.owner,
        )
        membership_service.add(
            session,
            corp_id=corp.id,
            data=MemberCreate(
                email=staff.email,
                role=Role.staff,
                staff_userid=userid,
                display_name="一线员工",
                password=staff.password,
            ),
            actor_role=Role.owner,
        )
        return corp.id, corp.callback_key


def _full_sync(db: Database, corp_id: uuid.UUID, wecom_corp_id: str, sandbox_url: str) -> str:
    transport = WeComTransport.build(
        make_settings(db.url, wecom_max_concurrency=4), JournalWriter(db), store=DbStore(db)
    )
    try:
        credentials = AppCredentials(
            wecom_corp_id=wecom_corp_id, secret=SECRET, base_url=sandbox_url, corp_id=corp_id
        )
        wecom = WeComClient(credentials, transport=transport)
        with db.transaction() as session:
            run_id = sync_service.create_run(
                session, corp_id=corp_id, requested_by_label="e2e", enqueue_job=False
            ).id
        return SyncEngine(db, wecom, run_id=run_id, options=SyncOptions()).run()
    finally:
        transport.close()


def _store_callback(db: Database, corp_id: uuid.UUID, wecom_corp_id: str) -> uuid.UUID:
    load_job_modules()  # storing enqueues the fan-out job, which must be known by name
    xml = (FIXTURES / "add_external_contact.xml").read_text().strip()
    xml = xml.replace("wwfixturecorp", wecom_corp_id)
    with db.transaction() as session:
        row = inbox_service.new_row(corp_id=corp_id, event=parse_event(xml), payload=xml)
        inbox_service.store(session, rows=[row])
        stored = session.scalar(select(InboxEvent.id).where(InboxEvent.corp_id == corp_id))
        assert stored is not None
        return stored


def _customers(db: Database, corp_id: uuid.UUID, userid: str) -> tuple[dict[uuid.UUID, str], ...]:
    with db.transaction(write=False) as session:
        everyone = {
            c.id: c.name
            for c in session.scalars(select(Customer).where(Customer.corp_id == corp_id))
        }
        own_ids = set(
            session.scalars(
                select(Customer.id)
                .join(FollowRelation, FollowRelation.external_userid == Customer.external_userid)
                .where(
                    Customer.corp_id == corp_id,
                    FollowRelation.corp_id == corp_id,
                    FollowRelation.staff_userid == userid,
                )
            )
        )
    return everyone, {i: n for i, n in everyone.items() if i in own_ids}


@contextmanager
def synced_world(database_url: str) -> Iterator[SyncedWorld]:
    """A sandbox corp (30 customers, 4 staff, 3 groups) synced into `database_url`."""
    suffix = uuid.uuid4().hex[:10]
    wecom_corp_id = f"wwsync{suffix}"
    owner = Login(f"owner-{suffix}@example.com", PASSWORD)
    staff = Login(f"staff-{suffix}@example.com", PASSWORD)
    state = SandboxState(seed=7)
    wecom = state.create_corp(corp_id=wecom_corp_id, name=CORP_NAME, secret=SECRET)
    generate_world(state, wecom, customers=30, staff=4, groups=3, seed=7)
    staff_userid = sorted(wecom.staff)[0]
    with serve_in_thread(create_sandbox_app(state)) as sandbox_url:
        db = Database(database_url)
        try:
            corp_id, callback_key = _seed_corp(
                db, sandbox_url, wecom_corp_id, owner, staff, staff_userid
            )
            status = _full_sync(db, corp_id, wecom_corp_id, sandbox_url)
            assert status == "done", f"the seed sync ended {status}"
            event_id = _store_callback(db, corp_id, wecom_corp_id)
            everyone, own = _customers(db, corp_id, staff_userid)
        finally:
            db.dispose()
        yield SyncedWorld(
            corp_id=corp_id,
            callback_key=callback_key,
            owner=owner,
            staff=staff,
            staff_userid=staff_userid,
            customers=everyone,
            own_customers=own,
            inbox_event_id=event_id,
            sandbox=state,
            sandbox_corp=wecom_corp_id,
        )
