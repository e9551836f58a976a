"""The materials library API: uploads with WeCom's limits, typed content per kind, filters and
keyset pages, folders, and who sees and edits what."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from siyu.auth.models import Role
from siyu.materials.service import materials_service
from siyu.settings import Settings
from tests.helpers.auth import member_client
from tests.materials.conftest import (
    MP4,
    PNG,
    Library,
    admin,
    base,
    create,
    image_material,
    upload,
)

MB = 1024 * 1024


class TestUpload:
    def test_stores_the_file_and_serves_it_back(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        file = upload(client, lib).json()
        assert (file["media_type"], file["size"], file["content_type"]) == (
            "image",
            len(PNG),
            "image/png",
        )
        material = create(client, lib, kind="image", title="门店海报", file_id=file["id"])
        assert material["file"]["id"] == file["id"] and material["content"] == {}
        served = client.get(f"{base(lib)}/materials/{material['id']}/file")
        assert served.status_code == 200 and served.content == PNG
        assert served.headers["content-type"] == "image/png"

    def test_a_rolled_back_upload_leaves_no_file(self, lib: Library, settings: Settings) -> None:
        root = settings.materials_dir
        with pytest.raises(RuntimeError), lib.db.transaction() as session:
            row = materials_service.upload_file(
                session,
                corp_id=lib.corp.id,
                media_type="image",
                file_name="a.png",
                content_type="image/png",
                data=PNG,
                root=root,
                max_bytes=10 * MB,
            )
            assert (root / row.storage_key).is_file()
            raise RuntimeError("the request failed after the upload")
        assert not (root / row.storage_key).exists()

    def test_size_and_type_limits(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        too_big = upload(client, lib, b"x" * (10 * MB + 1))
        assert too_big.status_code == 413 and "10 MB" in too_big.json()["error"]["message"]
        gif = upload(client, lib, content_type="image/gif", file_name="a.gif")
        assert gif.status_code == 415 and "image/gif" in gif.json()["error"]["message"]
        mov = upload(client, lib, MP4, media_type="video", content_type="video/quicktime")
        assert mov.status_code == 415
        assert upload(client, lib, b"", content_type="image/png").status_code == 400
        big_file = upload(
            client, lib, b"x" * (20 * MB + 1), media_type="file", content_type="application/pdf"
        )
        assert big_file.status_code == 413
        pdf = upload(
            client,
            lib,
            b"%PDF-1.4",
            media_type="file",
            file_name="价目表.pdf",
            content_type="application/pdf",
        )
        assert pdf.status_code == 201
        assert upload(client, lib, media_type="voice").status_code == 422


class TestContentByKind:
    def test_each_kind_validates_its_fields(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        cover = upload(client, lib).json()["id"]
        link = create(
            client,
            lib,
            kind="link",
            title="双十一",
            content={"url": "https://shop.example.com/a", "desc": "全场五折"},
            file_id=cover,
        )
        assert link["content"] == {"url": "https://shop.example.com/a", "desc": "全场五折"}
        create(client, lib, kind="text", title="开场白", content={"content": "您好"})
        create(
            client,
            lib,
            kind="miniprogram",
            title="小店",
            content={"appid": "wx1234", "page": "pages/index.html"},
            file_id=cover,
        )
        bad = [
            {"kind": "text", "title": "t", "content": {"content": "字" * 1334}},
            {"kind": "link", "title": "t", "content": {"url": "ftp://x"}},
            {"kind": "link", "title": "t", "content": {"url": "https://x", "desc": "字" * 171}},
            {"kind": "link", "title": "字" * 43, "content": {"url": "https://x"}},
            {
                "kind": "miniprogram",
                "title": "字" * 22,
                "content": {"appid": "wx1", "page": "p"},
                "file_id": cover,
            },
            {"kind": "miniprogram", "title": "t", "content": {"appid": "wx1"}, "file_id": cover},
            {"kind": "image", "title": "no file"},
            {"kind": "text", "title": "t", "content": {"content": "x", "extra": 1}},
            {"kind": "text", "title": "t", "content": {"content": "x"}, "file_id": cover},
        ]
        for body in bad:
            response = client.post(f"{base(lib)}/materials", json=body)
            assert response.status_code == 422, (body, response.text)
        video = upload(
            client, lib, MP4, media_type="video", file_name="a.mp4", content_type="video/mp4"
        )
        wrong = client.post(
            f"{base(lib)}/materials",
            json={"kind": "image", "title": "t", "file_id": video.json()["id"]},
        )
        assert wrong.status_code == 422 and "image file" in wrong.json()["error"]["message"]
        listed = client.get(f"{base(lib)}/materials").json()["items"]
        assert len(listed) == 3  # nothing half-written by the refusals

    def test_poster_keeps_its_template(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        file_id = upload(client, lib).json()["id"]
        template = {
            "text": "扫码领券",
            "text_color": "#FF0000",
            "qr_x": 40,
            "qr_y": 600,
            "qr_size": 180,
        }
        poster = create(
            client,
            lib,
            kind="poster",
            title="领券海报",
            file_id=file_id,
            content={"template": template},
        )
        assert poster["content"]["template"] == template


class TestListing:
    def test_filters_and_pages(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        folder = client.post(f"{base(lib)}/material-folders", json={"name": "活动"}).json()
        for i in range(3):
            create(
                client,
                lib,
                kind="text",
                title=f"话术 {i}",
                content={"content": "x"},
                tags=["新客"],
                folder_id=folder["id"],
            )
        image_material(client, lib, "Spring 海报")
        url = f"{base(lib)}/materials"
        assert [m["kind"] for m in client.get(url, params={"kind": "image"}).json()["items"]] == [
            "image"
        ]
        assert len(client.get(url, params={"folder_id": folder["id"]}).json()["items"]) == 3
        assert len(client.get(url, params={"unfiled": True}).json()["items"]) == 1
        assert len(client.get(url, params={"tag": "新客"}).json()["items"]) == 3
        assert [m["title"] for m in client.get(url, params={"q": "spring"}).json()["items"]] == [
            "Spring 海报"
        ]
        assert client.get(url, params={"q": "100%"}).json()["items"] == []
        first = client.get(url, params={"limit": 3}).json()
        second = client.get(url, params={"limit": 3, "cursor": first["next_cursor"]}).json()
        titles = [m["title"] for m in first["items"] + second["items"]]
        assert (
            titles == ["Spring 海报", "话术 2", "话术 1", "话术 0"]
            and second["next_cursor"] is None
        )
        tags = client.get(f"{base(lib)}/material-tags").json()
        assert tags == [{"tag": "新客", "count": 3}]
        renamed = client.put(f"{base(lib)}/material-tags/新客", json={"name": "首购"})
        assert renamed.json() == {"materials": 3}
        assert len(client.get(url, params={"tag": "首购"}).json()["items"]) == 3
        assert client.delete(f"{base(lib)}/material-tags/首购").json() == {"materials": 3}
        assert client.get(f"{base(lib)}/material-tags").json() == []

    def test_folders(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        url = f"{base(lib)}/material-folders"
        first = client.post(url, json={"name": "活动", "position": 2}).json()
        client.post(url, json={"name": "产品", "position": 1})
        assert client.post(url, json={"name": "活动"}).status_code == 409
        create(client, lib, kind="text", title="t", content={"content": "x"}, folder_id=first["id"])
        listed = client.get(url).json()
        assert [(f["name"], f["material_count"]) for f in listed] == [("产品", 0), ("活动", 1)]
        renamed = client.patch(f"{url}/{first['id']}", json={"name": "大促"}).json()
        assert renamed["name"] == "大促"
        assert client.delete(f"{url}/{first['id']}").status_code == 204
        items = client.get(f"{base(lib)}/materials", params={"unfiled": True}).json()["items"]
        assert len(items) == 1  # the material stays, unfiled
        staff = member_client(app, lib.db, corp=lib.corp, role=Role.staff, staff_userid="alice")
        assert staff.client.post(url, json={"name": "mine"}).status_code == 403


class TestScopes:
    def test_staff_see_company_and_their_own(self, app: FastAPI, lib: Library) -> None:
        boss = admin(app, lib)
        company = create(boss, lib, kind="text", title="公司话术", content={"content": "x"})
        alice = member_client(
            app, lib.db, corp=lib.corp, role=Role.staff, staff_userid="alice"
        ).client
        bob = member_client(app, lib.db, corp=lib.corp, role=Role.staff, staff_userid="bob").client
        own = create(alice, lib, kind="text", title="我的", content={"content": "x"})
        assert own["owner_userid"] == "alice"
        seen_by_bob = [m["id"] for m in bob.get(f"{base(lib)}/materials").json()["items"]]
        assert seen_by_bob == [company["id"]]
        assert bob.get(f"{base(lib)}/materials/{own['id']}").status_code == 404
        assert bob.delete(f"{base(lib)}/materials/{own['id']}").status_code == 404
        edit = alice.patch(f"{base(lib)}/materials/{company['id']}", json={"title": "改"})
        assert edit.status_code == 403
        assert (
            alice.patch(f"{base(lib)}/materials/{own['id']}", json={"title": "改"}).json()["title"]
            == "改"
        )
        seen_by_boss = {m["id"] for m in boss.get(f"{base(lib)}/materials").json()["items"]}
        assert seen_by_boss == {company["id"], own["id"]}

    def test_update_and_delete(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        material = image_material(client, lib)
        url = f"{base(lib)}/materials/{material['id']}"
        assert client.patch(url, json={"tags": ["a", "a", " b "]}).json()["tags"] == ["a", "b"]
        assert client.patch(url, json={"file_id": None}).status_code == 422
        assert client.patch(url, json={"bogus": 1}).status_code == 422
        assert client.delete(url).status_code == 204
        assert client.get(url).status_code == 404
