"""Submitting claim batches through the API: stage, then resolve in the durable job."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.identity.batches import stage
from siyu.identity.models import IdentityBatch
from siyu.identity.resolver import Claim, Record
from siyu.identity.schemas import BatchCreate
from siyu.jobs import enqueue
from siyu.kit.errors import NotFound


class BatchService:
    def submit(self, session: Session, *, corp_id: uuid.UUID, data: BatchCreate) -> IdentityBatch:
        records = [
            Record(
                ref=i,
                name=r.name,
                claims=[
                    Claim(c.kind, c.value, c.namespace, c.verified, data.source) for c in r.claims
                ],
            )
            for i, r in enumerate(data.records, start=1)
        ]
        batch = stage(session, corp_id=corp_id, source=data.source, records=records)
        enqueue_resolution(session, batch)
        audit_service.record(
            session,
            action="identity.batch.create",
            target_type="identity_batch",
            target_id=batch.id,
            details={"source": data.source, "records": len(records)},
        )
        return batch

    def get_or_404(
        self, session: Session, corp_id: uuid.UUID, batch_id: uuid.UUID
    ) -> IdentityBatch:
        batch = session.get(IdentityBatch, batch_id)
        if batch is None or batch.corp_id != corp_id:
            raise NotFound(f"identity batch {batch_id} does not exist")
        return batch


def enqueue_resolution(session: Session, batch: IdentityBatch) -> None:
    enqueue(
        session,
        "identity.resolve",
        key=f"identity-resolve:{batch.id}",
        args={"batch_id": str(batch.id)},
        corp_id=batch.corp_id,
    )


batch_service = BatchService()
