"""The registry of (table, column) pairs a merge moves from the merged person to the survivor.

Every domain whose rows hang off a person registers its column here (for example
`register_mover(FollowUp.__table__, "customer_id")`); merges record the ids of the rows they
moved per pair, and undo sets exactly those rows back. Columns must not be part of a unique
key that a move could violate.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table


@dataclass(frozen=True)
class Mover:
    table: Table
    column: str

    @property
    def key(self) -> str:
        return f"{self.table.name}.{self.column}"


_movers: dict[str, Mover] = {}


def register_mover(table: Table, column: str) -> None:
    if column not in table.c:
        raise ValueError(f"{table.name} has no column {column!r}")
    mover = Mover(table, column)
    _movers[mover.key] = mover


def movers() -> list[Mover]:
    return list(_movers.values())


def mover(key: str) -> Mover | None:
    return _movers.get(key)


def _register_builtin() -> None:
    from siyu.customers.models import Customer, FollowRelation
    from siyu.identity.models import CustomerIdentity

    register_mover(CustomerIdentity.__table__, "customer_id")  # type: ignore[arg-type]
    register_mover(FollowRelation.__table__, "customer_id")  # type: ignore[arg-type]
    # Persons merged into the merged person earlier now point at the survivor: chains stay flat.
    register_mover(Customer.__table__, "merged_into_id")  # type: ignore[arg-type]


_register_builtin()
