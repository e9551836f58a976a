"""Attachments from the materials library: resolved to fresh media ids when the campaign is
planned, refused at compose time when a material cannot be attached."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from siyu.db.session import Database
from siyu.settings import Settings
from tests.conftest import make_settings
from tests.materials.conftest import image_material
from tests.messaging.conftest import Mass


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return make_settings(db.url, materials_dir=tmp_path / "materials")


def test_library_images_go_out_with_their_media_ids(mass: Mass) -> None:
    poster = image_material(mass.api, mass.world)
    campaign = mass.create(customer_ids=mass.customers(2), material_ids=[poster["id"]])
    (message,) = mass.world.wecom.mass_messages.values()
    (attachment,) = message.attachments
    assert attachment["msgtype"] == "image" and attachment["image"]["media_id"]
    assert mass.campaign(campaign["id"])["attachments"] == [attachment]


def test_an_unknown_material_is_a_422_naming_it(mass: Mass) -> None:
    missing = str(uuid.uuid4())
    response = mass.api.post(
        mass.url("/mass-campaigns"),
        json={
            "name": "x",
            "text": "y",
            "customer_ids": mass.customers(1),
            "material_ids": [missing],
        },
    )
    assert response.status_code == 422 and missing in response.text
