"""Identity resolution: 1,000,000 identities from three sources resolved with merge history.

Sources, staged as one batch in this order and resolved by the durable batch runner:
- WeCom contacts: external_userid + unionid;
- shop customers: verified phone + business id (1% share a phone with another shop customer
  of a different business id: conflicts; 0.5% carry a junk phone);
- mini-program users: openid (namespace = appid) + unionid, a third also a verified phone.
  Their unionids meet WeCom contacts and their phones meet shop customers, so they join
  persons that already exist: those joins are merges, recorded with what they moved.

Prints JSON: `identity_resolution_seconds` (target ≤ 60) is the durable job's run over the
staged claims, chunk transactions and merge history included; staging the claims (what an
import or the batch API does before the job) is reported beside it as `staging_seconds`, and
`cpu_seconds` is the process's CPU time for both, which a shared machine does not inflate.
`resolution_cpu_seconds` is the job's share of it. SQLite and PostgreSQL (when
SIYU_BENCH_POSTGRES_URL is set); SIYU_BENCH_IDENTITY_DATABASES picks ("sqlite,postgresql");
SIYU_BENCH_IDENTITIES scales.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from bench._common import emit
from siyu.corps.models import Corp
from siyu.customers.models import Customer
from siyu.db.migrate import upgrade
from siyu.db.session import Database
from siyu.identity.batches import run_batch, stage
from siyu.identity.models import CustomerIdentity, IdentityConflict, IdentityMerge
from siyu.identity.resolver import Claim, Record

IDENTITIES = int(os.environ.get("SIYU_BENCH_IDENTITIES", "1000000"))
APPID = "wxminiprogram0001"


def generate(total: int, seed: int = 7) -> Iterator[Record]:
    """About `total` claims: 40% WeCom, 30% shop, 30% mini-program."""
    rng = random.Random(seed)
    wecom = total * 2 // 10  # two claims each
    shop = total * 15 // 100
    mini = total * 3 // 10 * 3 // 7  # 2 claims, a third 3: ≈ 2.33 each
    ref = 0
    for i in range(wecom):
        ref += 1
        yield Record(
            ref=ref,
            name=f"微信用户{i}",
            claims=[
                Claim("external_userid", f"wm{i:012d}", source="wecom"),
                Claim("unionid", f"ou{i:012d}", source="wecom"),
            ],
        )
    for i in range(shop):
        ref += 1
        phone = f"139{i:08d}"
        if rng.random() < 0.01:
            phone = f"139{rng.randrange(max(1, i)):08d}"  # a family sharing one number
        if rng.random() < 0.005:
            phone = "00000000000"
        yield Record(
            ref=ref,
            name=f"会员{i}",
            claims=[
                Claim("business_id", f"M{i:09d}", source="shop"),
                Claim("phone", phone, source="shop"),
            ],
        )
    for i in range(mini):
        ref += 1
        claims = [
            Claim("openid", f"o-{i:012d}", namespace=APPID, source="miniprogram"),
            Claim("unionid", f"ou{rng.randrange(wecom * 10 // 6):012d}", source="miniprogram"),
        ]
        if i % 3 == 0:
            claims.append(Claim("phone", f"139{rng.randrange(shop):08d}", source="miniprogram"))
        yield Record(ref=ref, claims=claims)


def bench_database(label: str, url: str) -> None:
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        corp = Corp(wecom_corp_id="wwidentitybench01", name="bench", callback_key=uuid.uuid4().hex)
        session.add(corp)
        session.flush()
        corp_id = corp.id
    cpu = time.process_time()
    started = time.perf_counter()
    with db.transaction() as session:
        batch = stage(session, corp_id=corp_id, source="bench", records=generate(IDENTITIES))
        batch_id = batch.id
    staged = time.perf_counter() - started
    started = time.perf_counter()
    resolution_cpu = time.process_time()
    status = run_batch(db.transaction, batch_id)
    seconds = time.perf_counter() - started
    resolution_cpu = time.process_time() - resolution_cpu
    cpu = time.process_time() - cpu
    with db.transaction(write=False) as session:
        counts = {
            "identities": session.scalar(select(func.count()).select_from(CustomerIdentity)),
            "persons": session.scalar(
                select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_(None))
            ),
            "merges": session.scalar(select(func.count()).select_from(IdentityMerge)),
            "conflicts": session.scalar(select(func.count()).select_from(IdentityConflict)),
        }
    db.dispose()
    emit(
        "identity",
        "identity_resolution_seconds",
        seconds,
        "s",
        status=status,
        target_seconds=60,
        database=label,
        claims=IDENTITIES,
        staging_seconds=round(staged, 3),
        cpu_seconds=round(cpu, 3),
        resolution_cpu_seconds=round(resolution_cpu, 3),
        **counts,
    )


def main() -> None:
    wanted = os.environ.get("SIYU_BENCH_IDENTITY_DATABASES", "sqlite,postgresql").split(",")
    if "sqlite" in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            bench_database("sqlite", f"sqlite:///{Path(tmp) / 'identity.db'}")
    pg = os.environ.get("SIYU_BENCH_POSTGRES_URL")
    if pg and "postgresql" in wanted:
        name = f"siyu_bench_identity_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            bench_database("postgresql", pg.rsplit("/", 1)[0] + f"/{name}")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
