"""Deterministic, set-based identity resolution.

Input: records, each a set of identifier claims from one source (a WeCom contact, a
mini-program user, a shop customer) and optionally the person it already is. The resolver
builds one graph per call — persons, records and identifier keys as nodes, a claim as an edge
— and joins components along the claims in priority order (business id first), refusing any
join that would give a person more identities of a kind than the corp's limit allows (so two
different business ids are never merged automatically: limit 1). A refused join between two
identified sides becomes a conflict. Each final component is one person: the existing person
with the strongest identifier survives (ties: the oldest id), the others are merged into it
with history; a component of new records becomes a new person.

Reads are a few IN queries per call and writes are executemany batches: no per-row trips.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from siyu.customers.models import CUSTOMER_ACTIVE
from siyu.identity.graph import Graph
from siyu.identity.merges import MergeRequest, merge_many
from siyu.identity.models import CONFLICT_OPEN, KIND_PHONE
from siyu.identity.repository import Key, conflicts, identities, persons
from siyu.identity.rules import IdentityRuleSet, junk_check, normalize
from siyu.kit.ids import new_id, new_ids
from siyu.segments import facts as segment_facts


class Claim(NamedTuple):
    kind: str
    value: str
    namespace: str = ""
    verified: bool = True
    source: str = ""


@dataclass(slots=True)
class Record:
    ref: int  # the record's number in its batch or file, for reports
    claims: list[Claim]
    person_id: uuid.UUID | None = None
    name: str = ""


Known = tuple[dict[Key, tuple[uuid.UUID, bool]], dict[uuid.UUID, dict[str, int]]]


@dataclass
class Rejected:
    ref: int
    kind: str
    value: str
    reason: str


@dataclass
class Outcome:
    persons: dict[int, uuid.UUID] = field(default_factory=dict)  # record ref → person
    created: int = 0
    attached: int = 0
    merged: int = 0
    conflicts: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.created += other.created
        self.attached += other.attached
        self.merged += other.merged
        self.conflicts += other.conflicts
        self.rejected.extend(other.rejected)


def _clean(
    records: Sequence[Record], rules: IdentityRuleSet, outcome: Outcome
) -> list[tuple[Record, list[tuple[Key, Claim]]]]:
    cleaned = []
    junk = junk_check(rules)
    for record in records:
        seen: dict[Key, Claim] = {}
        for claim in record.claims:
            kind = claim.kind
            value = normalize(kind, claim.value) if kind == KIND_PHONE else claim.value.strip()
            reason = junk(kind, value)
            if reason is not None:
                outcome.rejected.append(Rejected(record.ref, claim.kind, claim.value, reason))
                continue
            seen.setdefault((kind, claim.namespace, value), claim)
        cleaned.append((record, list(seen.items())))
    return cleaned


def resolve(
    session: Session,
    corp_id: uuid.UUID,
    records: Sequence[Record],
    *,
    rules: IdentityRuleSet,
    now: datetime,
    actor_label: str | None = None,
    known: Known | None = None,
) -> Outcome:
    """Attach, create, merge and record conflicts for `records`; see the module docstring.

    `known`: the claims' current owners and those persons' identity counts when the caller
    has them already (the batch path reads both with two joins)."""
    outcome = Outcome()
    cleaned = _clean(records, rules, outcome)
    given = {r.person_id for r, _ in cleaned if r.person_id is not None}
    flat = persons.merged_into(session, given) if given else {}
    if known is None:
        owners = identities.owners(session, corp_id, (k for _, cs in cleaned for k, _ in cs))
        involved = {p for p, _ in owners.values()} | {flat.get(p) or p for p in given}
        counts = identities.counts(session, involved)
    else:
        owners, counts = known
    graph = Graph(rules, counts)
    for key, (owner_id, _) in owners.items():
        graph.own(key, owner_id)

    edges: list[tuple[int, int, int, Key, Claim]] = []
    nodes: dict[int, int] = {}
    for record, claims in cleaned:
        person = flat.get(record.person_id) or record.person_id if record.person_id else None
        if person is None and not claims:
            continue  # every claim was junk: no person to make
        nodes[record.ref] = graph.person(person) if person else graph.record(record.ref)
        for key, claim in claims:
            edges.append((rules.rank(key[0]), record.ref, nodes[record.ref], key, claim))
    edges.sort(key=lambda e: (e[0], e[1]))
    pending: list[tuple[int, int, Key, str]] = []
    first_claim: dict[Key, Claim] = {}
    for _, ref, node, key, claim in edges:
        first_claim.setdefault(key, claim)
        owner = owners.get(key)
        strong = key[0] != KIND_PHONE or (claim.verified and (owner is None or owner[1]))
        verdict = graph.join(node, graph.key(key), strong=strong)
        if verdict is None:
            continue
        if verdict.startswith("limit") and graph.is_lone_key(key):
            outcome.rejected.append(
                Rejected(ref, key[0], key[2], f"more than the {verdict[6:]} limit")
            )
            continue
        pending.append((node, graph.key(key), key, verdict))

    # One person per component.
    new_people: list[dict[str, Any]] = []
    requests: list[MergeRequest] = []
    person_of_root: dict[int, uuid.UUID] = {}
    names = {r.ref: r.name for r, _ in cleaned}
    components = graph.components()
    fresh = iter(new_ids(sum(1 for m in components.values() if not m.persons and m.records)))
    for root, members in components.items():
        if members.persons:
            ordered = sorted(members.persons, key=lambda p: (graph.best_rank(p), p))
            survivor = ordered[0]
            for other in ordered[1:]:
                kind, value = graph.link_of(other)
                requests.append(MergeRequest(survivor, other, kind, value))
        elif members.records:
            survivor = next(fresh)
            name = next((names[r] for r in sorted(members.records) if names.get(r)), "")
            new_people.append(_person_row(corp_id, survivor, name, now))
        else:
            continue
        person_of_root[root] = survivor
        for ref in members.records:
            outcome.persons[ref] = survivor

    persons.insert_many(session, new_people)
    # A Core insert the ORM does not see: the new people need their segment index rows, and
    # they hold nothing yet, so the rows are written as they are instead of recomputed.
    segment_facts.add_new_people(session, new_people)
    attach = [(key, root) for key, root in graph.unowned_keys() if root in person_of_root]
    rows = []
    for (key, root), identity_id in zip(attach, new_ids(len(attach)), strict=True):
        claim = first_claim[key]
        rows.append(
            {
                "id": identity_id,
                "corp_id": corp_id,
                "customer_id": person_of_root[root],
                "kind": key[0],
                "namespace": key[1],
                "value": key[2],
                "source": claim.source,
                "verified": claim.verified,
                "created_at": now,
            }
        )
    identities.insert_many(session, rows)
    merge_many(session, corp_id, requests, reason="auto", actor_label=actor_label, now=now)
    for record, _ in cleaned:
        if record.person_id is not None and record.ref not in outcome.persons:
            outcome.persons[record.ref] = person_of_root.get(
                graph.root(nodes[record.ref]), record.person_id
            )
    conflict_rows = _conflict_rows(corp_id, graph, person_of_root, pending, now)
    conflicts.insert_many(session, conflict_rows)
    outcome.created = len(new_people)
    outcome.attached = len(rows)
    outcome.merged = len(requests)
    outcome.conflicts = len(conflict_rows)
    return outcome


def _person_row(
    corp_id: uuid.UUID, person_id: uuid.UUID, name: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": person_id,
        "corp_id": corp_id,
        "external_userid": None,
        "merged_into_id": None,
        "name": name[:128],
        "avatar": None,
        "unionid": None,
        "type": 1,
        "gender": 0,
        "status": CUSTOMER_ACTIVE,
        "created_at": now,
        "updated_at": now,
    }


def _conflict_rows(
    corp_id: uuid.UUID,
    graph: Graph,
    person_of_root: dict[int, uuid.UUID],
    pending: list[tuple[int, int, Key, str]],
    now: datetime,
) -> list[dict[str, Any]]:
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for node_a, node_b, key, reason in pending:
        a = person_of_root.get(graph.root(node_b))  # the identifier's current side first
        b = person_of_root.get(graph.root(node_a))
        if a is None or b is None or a == b:
            continue
        rows.setdefault(
            (a, b, key[0], key[2]),
            {
                "id": new_id(),
                "corp_id": corp_id,
                "person_a_id": a,
                "person_b_id": b,
                "kind": key[0],
                "namespace": key[1],
                "value": key[2],
                "reason": reason,
                "status": CONFLICT_OPEN,
                "created_at": now,
                "resolved_at": None,
            },
        )
    return list(rows.values())


def counts_by_kind(records: Sequence[Record]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for record in records:
        for claim in record.claims:
            counts[claim.kind] += 1
    return dict(counts)
