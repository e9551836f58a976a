"""The contact tables' constraints and the shared upserts the sync and the handlers use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from siyu.customers.models import Customer, FollowRelation, FollowRelationTag
from siyu.customers.repository import customers, follow_relations
from siyu.db.session import Database
from siyu.sync.apply import apply_contact, apply_follows
from siyu.tags.models import Tag, TagGroup
from tests.helpers.auth import make_corp

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def contact(external_userid: str = "wmA", name: str = "张三") -> dict[str, object]:
    return {"external_userid": external_userid, "name": name, "type": 1, "gender": 2}


def follow(userid: str, createtime: int, tags: list[str] | None = None) -> dict[str, object]:
    return {
        "userid": userid,
        "remark": "r",
        "createtime": createtime,
        "tag_id": tags or [],
        "add_way": 1,
        "state": "ch1",
    }


class TestConstraints:
    def test_external_userid_is_unique_per_corp(self, db: Database) -> None:
        corp = make_corp(db)
        with pytest.raises(IntegrityError), db.transaction() as session:
            session.add_all(
                [
                    Customer(corp_id=corp.id, external_userid="wmX", name="a"),
                    Customer(corp_id=corp.id, external_userid="wmX", name="b"),
                ]
            )
            session.flush()


class TestApplyFollows:
    def test_upserts_contact_relations_and_tags_idempotently(self, db: Database) -> None:
        corp = make_corp(db)
        with db.transaction() as session:
            group = TagGroup(corp_id=corp.id, wecom_group_id="g1", name="level")
            session.add(group)
            session.flush()
            tag = Tag(corp_id=corp.id, group_id=group.id, wecom_tag_id="t1", name="vip")
            session.add(tag)
            session.flush()
            tag_ids = {"t1": tag.id}
            pairs = [
                (contact(), follow("wang", 1773108000, ["t1", "personal"])),
                (contact(), follow("li", 1773100000)),
            ]
            apply_follows(session, corp.id, pairs, tag_ids=tag_ids, now=NOW)
            apply_follows(session, corp.id, pairs, tag_ids=tag_ids, now=NOW + timedelta(1))
            rows = session.scalars(select(FollowRelation).order_by(FollowRelation.staff_userid))
            relations = list(rows)
            assert [r.staff_userid for r in relations] == ["li", "wang"]
            assert relations[1].wecom_tag_ids == ["t1", "personal"]
            assert relations[1].state == "ch1"
            links = list(session.scalars(select(FollowRelationTag.tag_id)))
            assert links == [tag.id]
            customer = session.scalar(select(Customer))
            assert customer is not None
            assert customer.first_added_at == datetime.fromtimestamp(1773100000, tz=UTC)
            assert customer.synced_at == NOW + timedelta(1)

    def test_contact_refetch_recomputes_status(self, db: Database) -> None:
        corp = make_corp(db)
        with db.transaction() as session:
            apply_contact(
                session, corp.id, contact(), [follow("wang", 1773108000)], tag_ids={}, now=NOW
            )
            missing = follow_relations.mark_missing(
                session, corp.id, seen_since=NOW + timedelta(1), now=NOW + timedelta(1)
            )
            assert len(missing) == 1
            customers.refresh_status(session, corp.id)
            customer = session.scalar(select(Customer))
            assert customer is not None
            session.refresh(customer)
            assert customer.status == "lost"
            apply_contact(
                session,
                corp.id,
                contact(),
                [follow("wang", 1773108000)],
                tag_ids={},
                now=NOW + timedelta(2),
            )
            session.refresh(customer)
            assert customer.status == "active"
