"""Union-find over persons, records and identifier keys, with per-kind identity counts.

Each component carries how many identities of each kind its person would hold; a join that
would exceed a kind's limit is refused and reported, which is how "never merge two persons
that each carry a business id" falls out of "at most one business id per person".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from siyu.identity.models import KINDS
from siyu.identity.rules import IdentityRuleSet

Key = tuple[str, str, str]


@dataclass
class Members:
    persons: list[uuid.UUID] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    size: int = 1


class Graph:
    def __init__(self, rules: IdentityRuleSet, counts: Mapping[uuid.UUID, Mapping[str, int]]):
        self.rules = rules
        self.db_counts = counts
        self.parent: list[int] = []
        self.counts: list[dict[str, int]] = []
        self.members: list[Members | None] = []
        self.person_nodes: dict[uuid.UUID, int] = {}
        self.key_nodes: dict[Key, int] = {}
        self.owned: set[Key] = set()
        self.owned_keys: dict[uuid.UUID, list[Key]] = {}

    def _node(self, counts: dict[str, int], members: Members) -> int:
        self.parent.append(len(self.parent))
        self.counts.append(counts)
        self.members.append(members)
        return len(self.parent) - 1

    def person(self, person_id: uuid.UUID) -> int:
        node = self.person_nodes.get(person_id)
        if node is None:
            counts = dict(self.db_counts.get(person_id, {}))
            node = self._node(counts, Members(persons=[person_id]))
            self.person_nodes[person_id] = node
        return node

    def record(self, ref: int) -> int:
        return self._node({}, Members(records=[ref]))

    def key(self, key: Key) -> int:
        node = self.key_nodes.get(key)
        if node is None:
            node = self._node({key[0]: 1}, Members())
            self.key_nodes[key] = node
        return node

    def own(self, key: Key, person_id: uuid.UUID) -> None:
        """An existing identity: the key already belongs to the person (no limit check; the
        person's database count already includes it, so it is not counted twice)."""
        node = self.person(person_id)
        self.counts[self.root(node)][key[0]] -= 1
        self.owned.add(key)
        self.owned_keys.setdefault(person_id, []).append(key)
        self._union(node, self.key(key))

    def root(self, node: int) -> int:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def is_lone_key(self, key: Key) -> bool:
        members = self.members[self.root(self.key_nodes[key])]
        return members is not None and not members.persons and not members.records

    def join(self, a: int, b: int, *, strong: bool) -> str | None:
        """Join a's and b's components; None when done (or already one), else why not."""
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return None
        members_b = self.members[rb]
        lone = members_b is not None and not members_b.persons and not members_b.records
        if not strong and not lone:
            return "unverified_phone"
        ca, cb = self.counts[ra], self.counts[rb]
        for kind, n in cb.items():
            if n and ca.get(kind, 0) + n > self.rules.limit(kind):
                return f"limit:{kind}"
        self._union(ra, rb)
        return None

    def _union(self, a: int, b: int) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        ma, mb = self.members[ra], self.members[rb]
        assert ma is not None and mb is not None
        if ma.size < mb.size:
            ra, rb, ma, mb = rb, ra, mb, ma
        self.parent[rb] = ra
        for kind, n in self.counts[rb].items():
            self.counts[ra][kind] = self.counts[ra].get(kind, 0) + n
        ma.persons.extend(mb.persons)
        ma.records.extend(mb.records)
        ma.size += mb.size
        self.members[rb] = None

    def components(self) -> dict[int, Members]:
        return {i: m for i, m in enumerate(self.members) if m is not None and self.parent[i] == i}

    def unowned_keys(self) -> Iterator[tuple[Key, int]]:
        for key, node in self.key_nodes.items():
            if key not in self.owned:
                yield key, self.root(node)

    def best_rank(self, person_id: uuid.UUID) -> int:
        kinds = [k for k, n in self.db_counts.get(person_id, {}).items() if n]
        return min((self.rules.rank(k) for k in kinds), default=len(KINDS))

    def link_of(self, person_id: uuid.UUID) -> tuple[str | None, str | None]:
        """The merged person's strongest identifier seen in this call (why it was merged)."""
        keys = self.owned_keys.get(person_id) or []
        if not keys:
            return None, None
        best = min(keys, key=lambda k: (self.rules.rank(k[0]), k[2]))
        return best[0], best[2]
