"""Staging claims and resolving a batch chunk by chunk (the durable job's body).

Each chunk commits together with the batch's checkpoint, so a killed worker resumes at the
first unresolved record and nothing is resolved twice. Chunks run in record order, so the
result equals one pass over all records: later chunks see earlier chunks' persons.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from itertools import groupby

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from siyu.db.bulk import bulk_insert, large_page_cache
from siyu.identity.models import (
    BATCH_DONE,
    BATCH_RUNNING,
    IdentityBatch,
    IdentityClaim,
)
from siyu.identity.repository import identities
from siyu.identity.resolver import Claim, Outcome, Record, resolve
from siyu.identity.service import identity_service
from siyu.kit.clock import utcnow

CHUNK_RECORDS = 100_000
claims_table: Table = IdentityClaim.__table__  # type: ignore[assignment]


def stage(
    session: Session,
    *,
    corp_id: uuid.UUID,
    source: str,
    records: Iterable[Record],
    batch_id: uuid.UUID | None = None,
) -> IdentityBatch:
    """A pending batch holding `records` as claim rows (executemany in slices)."""
    batch = IdentityBatch(corp_id=corp_id, source=source, status="pending", stats={})
    if batch_id is not None:
        batch.id = batch_id
    session.add(batch)
    session.flush()
    rows: list[dict[str, object]] = []
    total = 0
    for record in records:
        total += 1
        for seq, claim in enumerate(record.claims):
            rows.append(
                {
                    "batch_id": batch.id,
                    "record_no": record.ref,
                    "seq": seq,
                    "kind": claim.kind,
                    "namespace": claim.namespace,
                    "value": claim.value[:128],
                    "verified": claim.verified,
                    "source": claim.source or source,
                    "name": (record.name or None) if seq == 0 else None,
                }
            )
        if len(rows) >= 20_000:
            bulk_insert(session, claims_table, rows)
            rows = []
    bulk_insert(session, claims_table, rows)
    batch.total_records = total
    session.flush()
    return batch


def _records(session: Session, batch_id: uuid.UUID, lo: int, hi: int) -> list[Record]:
    c = IdentityClaim
    stmt = (
        select(c.record_no, c.kind, c.namespace, c.value, c.verified, c.source, c.name)
        .where(c.batch_id == batch_id, c.record_no >= lo, c.record_no < hi)
        .order_by(c.record_no, c.seq)
    )
    records = []
    for record_no, rows in groupby(session.connection().execute(stmt), key=lambda r: r[0]):
        listed = list(rows)
        records.append(
            Record(
                ref=record_no,
                claims=[
                    Claim(kind, value, ns, bool(ok), src)
                    for _, kind, ns, value, ok, src, _ in listed
                ],
                name=listed[0][6] or "",
            )
        )
    return records


def run_batch(
    writing: Callable[[], AbstractContextManager[Session]],
    batch_id: uuid.UUID,
    *,
    chunk: int = CHUNK_RECORDS,
    on_chunk: Callable[[Outcome], None] | None = None,
) -> str:
    """Resolve the batch from its checkpoint to the end; returns its final status.

    Record numbers are 1-based and dense (the stager numbers them), so chunks are ranges.
    """
    while True:
        with _without_cycle_collection(), writing() as session:
            batch = session.get(IdentityBatch, batch_id)
            if batch is None or batch.status == BATCH_DONE:
                return batch.status if batch else "missing"
            lo = batch.done_records + 1
            if lo > batch.total_records:
                batch.status = BATCH_DONE
                batch.finished_at = utcnow()
                session.execute(delete(IdentityClaim).where(IdentityClaim.batch_id == batch_id))
                return BATCH_DONE
            with large_page_cache(session):
                records = _records(session, batch_id, lo, lo + chunk)
                rules = identity_service.rules_for(session, batch.corp_id)
                known = identities.owners_of_claims(
                    session, batch.corp_id, batch_id, lo, lo + chunk
                )
                outcome = resolve(
                    session, batch.corp_id, records, rules=rules, now=utcnow(), known=known
                )
                batch.status = BATCH_RUNNING
                batch.done_records = min(batch.total_records, lo + chunk - 1)
                batch.stats = _add_stats(batch.stats or {}, outcome)
        if on_chunk is not None:
            on_chunk(outcome)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A chunk allocates millions of small objects that all stay alive until it ends (claims,
    graph nodes, parameter rows); Python's cycle collector would walk them again and again for
    nothing (a tenth of a chunk's CPU). Reference counting still frees everything; whatever
    cycles the chunk leaves are collected once it is over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _add_stats(stats: dict[str, int], outcome: Outcome) -> dict[str, int]:
    names = ("created", "attached", "merged", "conflicts")
    result = {n: stats.get(n, 0) + getattr(outcome, n) for n in names}
    result["rejected"] = stats.get("rejected", 0) + len(outcome.rejected)
    return result


def rejected_refs(outcome: Outcome) -> Sequence[int]:
    return sorted({r.ref for r in outcome.rejected})
