"""Identity rules: recording WeCom identities, rules per corp, manual merge, undo, split,
conflicts. Scope checks happen here, so a staff member can only see, merge or split persons
they can see (persons outside the scope answer 404 like missing ones)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.context import audit_context
from siyu.audit.service import audit_service
from siyu.auth.scope import DataScope
from siyu.customers.models import Customer
from siyu.customers.queries import contacts
from siyu.identity.merges import MergeRequest, merge_many, undo
from siyu.identity.models import (
    CONFLICT_KEPT_APART,
    CONFLICT_MERGED,
    CONFLICT_OPEN,
    KIND_EXTERNAL_USERID,
    KIND_UNIONID,
    SOURCE_WECOM,
    CustomerIdentity,
    IdentityConflict,
    IdentityMerge,
    IdentityRules,
)
from siyu.identity.repository import conflicts, identities, merges, moves, persons, rules_store
from siyu.identity.resolver import Claim, Outcome, Record, resolve
from siyu.identity.rules import IdentityRuleSet, rules_from
from siyu.kit.clock import utcnow
from siyu.kit.errors import BadRequest, Conflict, NotFound
from siyu.kit.ids import new_id, new_ids
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.segments import facts as segment_facts


@dataclass(frozen=True)
class RecordedContacts:
    # external_userid → the person the contact belongs to after resolution.
    persons: dict[str, uuid.UUID]
    # Some contact needed the resolver, which may have merged persons (new ones too): the
    # caller cannot assume who holds what, only `persons`.
    resolved: bool


class IdentityService:
    # -- rules -----------------------------------------------------------------------------------
    def rules_for(self, session: Session, corp_id: uuid.UUID) -> IdentityRuleSet:
        row = rules_store.get(session, corp_id)
        return rules_from(row.rules if row else None)

    def set_rules(
        self, session: Session, *, corp_id: uuid.UUID, rules: IdentityRuleSet
    ) -> IdentityRuleSet:
        row = rules_store.get(session, corp_id)
        if row is None:
            row = IdentityRules(corp_id=corp_id)
            session.add(row)
        row.rules = rules.model_dump()
        audit_service.record(
            session, action="identity.rules.update", target_type="corp", target_id=corp_id
        )
        session.flush()
        return rules

    # -- writes from WeCom and from batches ------------------------------------------------------
    def record_wecom_contacts(
        self,
        session: Session,
        corp_id: uuid.UUID,
        contacts_: Sequence[tuple[uuid.UUID, str, str | None]],
        *,
        now: datetime,
    ) -> RecordedContacts:
        """(person id, external_userid, unionid) of synced contacts → their identities, verified
        (WeCom vouches for both), in the caller's transaction; returns external_userid → the
        person the contact belongs to after resolution (a unionid may join it to another).

        The sync writes 100,000 contacts, nearly all either new (no identity anywhere yet) or
        already recorded on their person: those take a fast path of one lookup and one insert;
        only the rest (a unionid held by someone else, ...) go through the resolver."""
        wanted = {(KIND_EXTERNAL_USERID, "", ext) for _, ext, _ in contacts_}
        wanted |= {(KIND_UNIONID, "", u) for _, _, u in contacts_ if u}
        owners = identities.owners(session, corp_id, wanted)
        result: dict[str, uuid.UUID] = {}
        fresh: list[dict[str, Any]] = []
        claimed: set[tuple[str, str, str]] = set()  # keys the fresh contacts above will hold
        rest: list[Record] = []
        for i, (person_id, ext, unionid) in enumerate(contacts_):
            keys = [(KIND_EXTERNAL_USERID, "", ext)] + (
                [(KIND_UNIONID, "", unionid)] if unionid else []
            )
            held = {owners[k][0] if k in owners else None for k in keys}
            # A unionid an earlier new contact of this call takes is held by then (the fresh
            # rows go in before the resolver runs): resolved as if the calls were separate.
            if held == {None} and claimed.isdisjoint(keys):  # new: its person holds nothing
                fresh.extend(_wecom_identity(corp_id, person_id, k, now) for k in keys)
                claimed.update(keys)
                result[ext] = person_id
            elif held == {person_id}:  # seen before, nothing new
                result[ext] = person_id
            else:
                rest.append(
                    Record(
                        ref=i,
                        person_id=person_id,
                        claims=[Claim(k[0], k[2], source=SOURCE_WECOM) for k in keys],
                    )
                )
        ids = iter(new_ids(len(fresh)))
        identities.insert_many(session, [row | {"id": next(ids)} for row in fresh])
        if rest:
            rules = self.rules_for(session, corp_id)
            outcome = resolve(session, corp_id, rest, rules=rules, now=now)
            for record in rest:
                person_id, ext, _ = contacts_[record.ref]
                result[ext] = outcome.persons.get(record.ref, person_id)
        return RecordedContacts(result, resolved=bool(rest))

    def resolve(
        self, session: Session, *, corp_id: uuid.UUID, records: Sequence[Record]
    ) -> Outcome:
        return resolve(
            session, corp_id, records, rules=self.rules_for(session, corp_id), now=utcnow()
        )

    # -- reads -----------------------------------------------------------------------------------
    def person_or_404(
        self, session: Session, *, scope: DataScope, person_id: uuid.UUID
    ) -> Customer:
        """The person, merged or not, if the caller may see it (a merged person is judged by
        its survivor, which now holds its relations)."""
        person = contacts.get_in_corp(session, scope.corp_id, person_id)
        if person is not None:
            target = person.merged_into_id or person.id
            if contacts.get_scoped(session, scope, target) is not None:
                return person
        raise NotFound(f"customer {person_id} does not exist")

    def live_person_or_404(
        self, session: Session, *, scope: DataScope, person_id: uuid.UUID
    ) -> Customer:
        person = self.person_or_404(session, scope=scope, person_id=person_id)
        if person.merged_into_id is not None:
            raise Conflict(
                f"customer {person_id} was merged into {person.merged_into_id}",
                code="customer_merged",
                details={"merged_into_id": str(person.merged_into_id)},
            )
        return person

    def identities_of(
        self, session: Session, *, scope: DataScope, person_id: uuid.UUID
    ) -> list[CustomerIdentity]:
        person = self.person_or_404(session, scope=scope, person_id=person_id)
        return identities.of_person(session, person.id)

    def merges_of(
        self, session: Session, *, scope: DataScope, person_id: uuid.UUID
    ) -> list[IdentityMerge]:
        person = self.person_or_404(session, scope=scope, person_id=person_id)
        return merges.of_person(session, scope.corp_id, person.id)

    def list_conflicts(
        self,
        session: Session,
        *,
        scope: DataScope,
        status: str | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[IdentityConflict], str | None]:
        rows = conflicts.list(
            session,
            scope.corp_id,
            status=status,
            visible=lambda column: contacts.visible_person(scope, column),
            after=decode_id_cursor(cursor),
            limit=limit + 1,
        )
        return split_id_page(rows, limit)

    # -- manual changes (audited) ----------------------------------------------------------------
    def merge(
        self,
        session: Session,
        *,
        scope: DataScope,
        survivor_id: uuid.UUID,
        merged_id: uuid.UUID,
    ) -> IdentityMerge:
        """A person decided these are one: no limit applies (they may knowingly join two
        business ids), but both must be visible, distinct and not merged already."""
        if survivor_id == merged_id:
            raise BadRequest("a customer cannot be merged into itself")
        survivor = self.live_person_or_404(session, scope=scope, person_id=survivor_id)
        merged = self.live_person_or_404(session, scope=scope, person_id=merged_id)
        (merge_id,) = merge_many(
            session,
            scope.corp_id,
            [MergeRequest(survivor.id, merged.id)],
            reason="manual",
            actor_label=audit_context(session).actor_label,
            now=utcnow(),
        )
        self._settle_conflicts(session, scope.corp_id, survivor.id, merged.id, CONFLICT_MERGED)
        audit_service.record(
            session,
            action="customer.merge",
            target_type="customer",
            target_id=survivor.id,
            details={"merged_id": str(merged.id), "merge_id": str(merge_id)},
        )
        session.expire_all()
        result = merges.get(session, scope.corp_id, merge_id)
        assert result is not None
        return result

    def undo_merge(
        self, session: Session, *, scope: DataScope, merge_id: uuid.UUID
    ) -> dict[str, Any]:
        merge = merges.get(session, scope.corp_id, merge_id)
        if merge is None:
            raise NotFound(f"merge {merge_id} does not exist")
        self.person_or_404(session, scope=scope, person_id=merge.survivor_id)
        restored = undo(session, merge, now=utcnow())
        audit_service.record(
            session,
            action="customer.merge.undo",
            target_type="customer",
            target_id=merge.merged_id,
            details={"merge_id": str(merge.id), "restored": restored},
        )
        return restored

    def split(
        self,
        session: Session,
        *,
        scope: DataScope,
        person_id: uuid.UUID,
        identity_ids: Sequence[uuid.UUID],
        name: str | None,
    ) -> Customer:
        """Move the chosen identities (and the relations of a moved external_userid) to a new
        person: the way out of a wrong merge that undo can no longer reach."""
        person = self.live_person_or_404(session, scope=scope, person_id=person_id)
        chosen = identities.by_ids(session, list(identity_ids))
        if not chosen or len(chosen) != len(set(identity_ids)):
            raise BadRequest("identity_ids must list identities of this customer")
        if any(i.customer_id != person.id for i in chosen):
            raise BadRequest("identity_ids must list identities of this customer")
        if len(chosen) == len(identities.of_person(session, person.id)):
            raise BadRequest("keep at least one identity on the customer")
        now = utcnow()
        new_person_id = new_id()
        persons.insert_many(
            session,
            [
                {
                    "id": new_person_id,
                    "corp_id": person.corp_id,
                    "external_userid": None,
                    "name": (name or person.name)[:128],
                    "type": person.type,
                    "gender": 0,
                    "merged_into_id": None,
                    "status": person.status,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        for identity in chosen:
            identity.customer_id = new_person_id
        externals = {i.value for i in chosen if i.kind == KIND_EXTERNAL_USERID}
        moved_relations = moves.move_relations(session, person.id, externals, new_person_id)
        self._hand_over_contacts(session, person, externals, new_person_id)
        segment_facts.touch(session, [person.id, new_person_id])
        session.flush()
        audit_service.record(
            session,
            action="customer.split",
            target_type="customer",
            target_id=person.id,
            details={
                "new_customer_id": str(new_person_id),
                "identity_ids": [str(i.id) for i in chosen],
                "relations": moved_relations,
            },
        )
        created = session.get(Customer, new_person_id)
        assert created is not None
        return created

    def _hand_over_contacts(
        self, session: Session, person: Customer, externals: set[str], new_person_id: uuid.UUID
    ) -> None:
        """The contact rows of the moved external_userids must lead to the new person too, or
        the next sync or callback (which finds the person through the contact row) would join
        them back: a merged contact row now points at the new person, and the person's own
        contact moves its external_userid over."""
        session.flush()
        for external_userid in sorted(externals):
            row = contacts.get_by_external_userid(session, person.corp_id, external_userid)
            if row is None:
                continue
            if row.id == person.id:
                row.external_userid = None
                session.flush()  # (corp_id, external_userid) is unique: free it first
                created = session.get(Customer, new_person_id)
                assert created is not None
                created.external_userid = external_userid
            elif row.merged_into_id == person.id:
                row.merged_into_id = new_person_id
        session.flush()

    def resolve_conflict(
        self,
        session: Session,
        *,
        scope: DataScope,
        conflict_id: uuid.UUID,
        action: str,
    ) -> IdentityConflict:
        conflict = conflicts.get(session, scope.corp_id, conflict_id)
        if conflict is None:
            raise NotFound(f"conflict {conflict_id} does not exist")
        for person_id in (conflict.person_a_id, conflict.person_b_id):
            self.person_or_404(session, scope=scope, person_id=person_id)
        if conflict.status != CONFLICT_OPEN:
            raise Conflict(f"this conflict is already {conflict.status}")
        if action == "merge":
            self.merge(
                session,
                scope=scope,
                survivor_id=conflict.person_a_id,
                merged_id=conflict.person_b_id,
            )
            session.refresh(conflict)
        else:
            conflict.status = CONFLICT_KEPT_APART
            conflict.resolved_at = utcnow()
            audit_service.record(
                session,
                action="identity.conflict.keep_apart",
                target_type="identity_conflict",
                target_id=conflict.id,
            )
            session.flush()
        return conflict

    @staticmethod
    def _settle_conflicts(
        session: Session, corp_id: uuid.UUID, a: uuid.UUID, b: uuid.UUID, status: str
    ) -> None:
        conflicts.settle_between(session, corp_id, a, b, status=status, now=utcnow())


def _wecom_identity(
    corp_id: uuid.UUID, person_id: uuid.UUID, key: tuple[str, str, str], now: datetime
) -> dict[str, Any]:
    return {
        "corp_id": corp_id,
        "customer_id": person_id,
        "kind": key[0],
        "namespace": key[1],
        "value": key[2],
        "source": SOURCE_WECOM,
        "verified": True,
        "created_at": now,
    }


identity_service = IdentityService()
