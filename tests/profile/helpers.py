"""Shared steps of the profile, lost and duplicates tests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.auth.models import Role
from siyu.customers.models import Customer
from tests.customers.world import World
from tests.helpers.auth import member_client


def add_customer(world: World, userid: str = "alice", **body: Any) -> Customer:
    ext = str(world.act("add_customer", userid=userid, **body)["external_userid"])
    world.deliver()
    customer = world.customer(ext)
    assert customer is not None
    return customer


def admin(app: FastAPI, world: World) -> TestClient:
    return member_client(app, world.db, corp=world.corp, role=Role.admin).client


def url(world: World, path: str) -> str:
    return f"/api/v1/corps/{world.corp.id}{path}"
