"""Factories for segment tests: people, relations and tags written straight to the database
(no WeCom round trip), so each test states exactly the facts its conditions look at."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from siyu.corps.models import Corp
from siyu.customers.models import Customer, FollowRelation, FollowRelationTag
from siyu.db.session import Database
from siyu.groups.models import CustomerGroup, GroupMember
from siyu.tags.models import ORIGIN_SIYU, CustomerTag, Tag, TagGroup


@dataclass
class Town:
    """A corp with a few named tags and helpers to add people."""

    db: Database
    corp: Corp
    tags: dict[str, uuid.UUID] = field(default_factory=dict)

    def tag(self, name: str, *, siyu: bool = False) -> uuid.UUID:
        if name in self.tags:
            return self.tags[name]
        with self.db.transaction() as session:
            group = TagGroup(
                corp_id=self.corp.id,
                name=f"g-{name}",
                origin=ORIGIN_SIYU if siyu else "wecom",
                wecom_group_id=None if siyu else f"etg-{name}",
            )
            session.add(group)
            session.flush()
            tag = Tag(
                corp_id=self.corp.id,
                group_id=group.id,
                name=name,
                wecom_tag_id=None if siyu else f"et-{name}",
            )
            session.add(tag)
            session.flush()
            self.tags[name] = tag.id
        return self.tags[name]

    def person(
        self,
        name: str,
        *,
        staff: str = "alice",
        tags: tuple[str, ...] = (),
        siyu_tags: tuple[str, ...] = (),
        state: str | None = None,
        added: datetime | None = None,
        status: str = "active",
    ) -> uuid.UUID:
        wecom_ids = [self.tag(t) for t in tags]
        siyu_ids = [self.tag(t, siyu=True) for t in siyu_tags]
        added = added or datetime(2026, 6, 1, tzinfo=UTC)
        with self.db.transaction() as session:
            customer = Customer(
                corp_id=self.corp.id,
                external_userid=f"wm{uuid.uuid4().hex[:20]}",
                name=name,
                status=status,
                first_added_at=added,
            )
            session.add(customer)
            session.flush()
            relation = FollowRelation(
                corp_id=self.corp.id,
                customer_id=customer.id,
                external_userid=customer.external_userid,
                staff_userid=staff,
                state=state,
                added_at=added,
                remark_mobiles=["13812345678"],
                deleted_by_customer_at=added if status == "lost" else None,
            )
            session.add(relation)
            session.flush()
            for tag_id in wecom_ids:
                session.add(
                    FollowRelationTag(corp_id=self.corp.id, relation_id=relation.id, tag_id=tag_id)
                )
            for tag_id in siyu_ids:
                session.add(
                    CustomerTag(corp_id=self.corp.id, customer_id=customer.id, tag_id=tag_id)
                )
            return customer.id

    def group(self, members: list[uuid.UUID]) -> uuid.UUID:
        with self.db.transaction() as session:
            group = CustomerGroup(
                corp_id=self.corp.id, chat_id=f"wr{uuid.uuid4().hex[:12]}", owner_userid="alice"
            )
            session.add(group)
            session.flush()
            for customer_id in members:
                customer = session.get(Customer, customer_id)
                assert customer is not None
                session.add(
                    GroupMember(
                        corp_id=self.corp.id, group_id=group.id, member_id=customer.external_userid
                    )
                )
            return group.id
