"""Custom fields: definitions per corp and values validated by type."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from siyu.profile.models import CustomerFieldValue
from tests.customers.world import World
from tests.profile.helpers import add_customer, admin, url

FIELDS = [
    {"key": "occupation", "label": "职业", "type": "text"},
    {"key": "child_age", "label": "孩子年龄", "type": "number"},
    {"key": "birthday", "label": "生日", "type": "date"},
    {
        "key": "insurance",
        "label": "保险状态",
        "type": "single_select",
        "options": [{"key": "none", "label": "无"}, {"key": "has", "label": "有"}],
        "required": True,
    },
    {
        "key": "subjects",
        "label": "偏好科目",
        "type": "multi_select",
        "options": [{"key": "math", "label": "数学"}, {"key": "art", "label": "美术"}],
    },
]


def _define(client: TestClient, world: World) -> None:
    for position, body in enumerate(FIELDS):
        response = client.post(url(world, "/customer-fields"), json={**body, "position": position})
        assert response.status_code == 201, response.text


class TestFieldDefinitions:
    def test_fields_are_listed_in_order(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        _define(client, world)
        keys = [f["key"] for f in client.get(url(world, "/customer-fields")).json()]
        assert keys == [f["key"] for f in FIELDS]

    def test_a_duplicate_key_is_a_conflict(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        _define(client, world)
        response = client.post(url(world, "/customer-fields"), json=FIELDS[0])
        assert response.status_code == 409

    def test_a_select_without_options_is_refused(self, app: FastAPI, world: World) -> None:
        body = {"key": "level", "label": "等级", "type": "single_select"}
        response = admin(app, world).post(url(world, "/customer-fields"), json=body)
        assert response.status_code == 400
        assert "at least one option" in response.json()["error"]["message"]


class TestFieldValues:
    def test_values_of_every_type_round_trip(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        _define(client, world)
        customer = add_customer(world)
        values = {
            "occupation": "教师",
            "child_age": 7,
            "birthday": "2019-05-01",
            "insurance": "has",
            "subjects": ["math", "art"],
        }
        path = url(world, f"/customers/{customer.id}/fields")
        response = client.put(path, json={"values": values})
        assert response.status_code == 200, response.text
        stored = {v["key"]: v["value"] for v in client.get(path).json()}
        assert stored == {**values, "subjects": ["art", "math"]}
        with world.db.transaction(write=False) as session:
            rows = session.scalar(
                select(func.count()).where(CustomerFieldValue.customer_id == customer.id)
            )
        assert rows == 6  # a multi select keeps one row per chosen option

    def test_a_bad_value_refuses_the_whole_update(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        _define(client, world)
        customer = add_customer(world)
        path = url(world, f"/customers/{customer.id}/fields")
        bad = {
            "occupation": "医生",
            "child_age": "seven",
            "birthday": "01/05/2019",
            "insurance": "maybe",
            "subjects": ["music"],
            "shoe_size": 42,
        }
        response = client.put(path, json={"values": bad})
        assert response.status_code == 400
        details = response.json()["error"]["details"]
        assert set(details) == {"child_age", "birthday", "insurance", "subjects", "shoe_size"}
        assert {v["key"]: v["value"] for v in client.get(path).json()}["occupation"] is None

    def test_a_required_field_cannot_be_cleared(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        _define(client, world)
        customer = add_customer(world)
        path = url(world, f"/customers/{customer.id}/fields")
        assert client.put(path, json={"values": {"insurance": "none"}}).status_code == 200
        response = client.put(path, json={"values": {"insurance": None}})
        assert response.status_code == 400
        assert "required" in response.json()["error"]["details"]["insurance"]

    def test_removing_an_option_drops_its_values(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        _define(client, world)
        customer = add_customer(world)
        path = url(world, f"/customers/{customer.id}/fields")
        client.put(path, json={"values": {"subjects": ["math", "art"]}})
        field = next(
            f for f in client.get(url(world, "/customer-fields")).json() if f["key"] == "subjects"
        )
        response = client.patch(
            url(world, f"/customer-fields/{field['id']}"),
            json={"options": [{"key": "math", "label": "数学"}]},
        )
        assert response.status_code == 200
        assert {v["key"]: v["value"] for v in client.get(path).json()}["subjects"] == ["math"]
