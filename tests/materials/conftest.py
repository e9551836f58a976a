"""Materials fixtures: files under a temporary materials directory, the sandbox world, and
helpers that upload and create materials through the API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.auth.models import Role
from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.settings import Settings
from tests.conftest import make_settings
from tests.customers.world import world
from tests.helpers.auth import make_corp, member_client

__all__ = ["world"]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return make_settings(db.url, materials_dir=tmp_path / "materials")


class World(Protocol):
    """A corp in a database: the sandbox `world`, or the plain `lib` when WeCom is not needed."""

    @property
    def corp(self) -> Corp: ...

    @property
    def db(self) -> Database: ...


@dataclass
class Library:
    corp: Corp
    db: Database


@pytest.fixture
def lib(db: Database) -> Library:
    return Library(make_corp(db), db)


def base(world: World) -> str:
    return f"/api/v1/corps/{world.corp.id}"


def admin(app: FastAPI, world: World) -> TestClient:
    return member_client(app, world.db, corp=world.corp, role=Role.admin).client


def upload(
    client: TestClient,
    world: World,
    data: bytes = PNG,
    *,
    media_type: str = "image",
    file_name: str = "cover.png",
    content_type: str = "image/png",
) -> Any:
    return client.post(
        f"{base(world)}/material-files",
        params={"media_type": media_type, "file_name": file_name},
        content=data,
        headers={"content-type": content_type},
    )


def create(client: TestClient, world: World, **body: Any) -> dict[str, Any]:
    response = client.post(f"{base(world)}/materials", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def image_material(client: TestClient, world: World, title: str = "海报") -> dict[str, Any]:
    file_id = upload(client, world).json()["id"]
    return create(client, world, kind="image", title=title, file_id=file_id)
