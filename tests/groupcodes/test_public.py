"""The public pages: QR, keyword choices, phone-verified entry and its limits."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.groupcodes.models import PhoneChallenge
from siyu.groupcodes.sms import log_outbox
from siyu.kit.clock import FrozenClock
from tests.customers.world import World
from tests.groupcodes.helpers import create_code, new_groups, url
from tests.profile.helpers import add_customer, admin

PHONE = "13800138000"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _phone_code(app: FastAPI, world: World, phones: str = f"手机号,姓名\n{PHONE},小王\n") -> dict:
    client = admin(app, world)
    code = create_code(client, world, new_groups(world, 1), phone_verification=True)
    response = client.post(
        url(world, f"/{code['id']}/phones"),
        params={"file_name": "名单.csv"},
        content=phones.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    return code


def _send(client: TestClient, code: dict, phone: str = PHONE):  # type: ignore[no-untyped-def]
    return client.post(f"{code['page_path']}/sms", content=f"phone={phone}", headers=FORM)


def _last_code() -> str:
    phone, text = log_outbox().sent[-1]
    assert phone == PHONE
    match = re.search(r"\d{6}", text)
    assert match is not None
    return match.group(0)


def _verify(client: TestClient, code: dict, digits: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"{code['page_path']}/verify", content=f"phone={PHONE}&code={digits}", headers=FORM
    )


class TestPages:
    def test_the_page_shows_the_codes_qr(
        self, app: FastAPI, world: World, client: TestClient
    ) -> None:
        code = create_code(admin(app, world), world, new_groups(world, 2))
        page = client.get(code["page_path"])
        assert page.status_code == 200 and code["qr_code"] in page.text
        assert 'name="viewport"' in page.text

    def test_a_wrong_slug_is_404(self, client: TestClient) -> None:
        assert client.get("/api/v1/public/group-codes/not-a-real-slug").status_code == 404
        assert client.get("/api/v1/public/group-codes/" + "x" * 300).status_code == 404

    def test_keyword_choices_lead_to_each_pools_code(
        self, app: FastAPI, world: World, client: TestClient
    ) -> None:
        api = admin(app, world)
        juniors = create_code(api, world, new_groups(world, 1), name="0–1 年")
        seniors = create_code(api, world, new_groups(world, 1), name="3–5 年")
        router = create_code(
            api,
            world,
            new_groups(world, 1),
            name="按经验进群",
            routes=[
                {"label": "0–1 年", "target_code_id": juniors["id"]},
                {"label": "3–5 年", "target_code_id": seniors["id"]},
            ],
        )
        page = client.get(router["page_path"]).text
        assert juniors["page_path"] in page and seniors["page_path"] in page
        assert page.index("0–1 年") < page.index("3–5 年")
        bad = api.patch(
            url(world, f"/{router['id']}"),
            json={"routes": [{"label": "x", "target_code_id": str(uuid.uuid4())}]},
        )
        assert bad.status_code == 400 and "does not exist" in bad.text


class TestPhoneVerification:
    def test_a_listed_phone_gets_in_after_the_code(
        self, app: FastAPI, world: World, client: TestClient
    ) -> None:
        code = _phone_code(app, world)
        first = client.get(code["page_path"])
        assert code["qr_code"] not in first.text and 'name="phone"' in first.text
        assert _send(client, code).status_code == 200
        answer = _verify(client, code, _last_code())
        assert answer.status_code == 200 and code["qr_code"] in answer.text
        assert code["qr_code"] in client.get(code["page_path"]).text  # the pass cookie

    def test_an_unlisted_phone_gets_no_code(
        self, app: FastAPI, world: World, client: TestClient
    ) -> None:
        code = _phone_code(app, world)
        sent = len(log_outbox().sent)
        assert _send(client, code, phone="13900139000").status_code == 403
        assert _send(client, code, phone="12").status_code == 400
        assert len(log_outbox().sent) == sent

    def test_too_many_wrong_codes_is_429(
        self, app: FastAPI, world: World, client: TestClient
    ) -> None:
        code = _phone_code(app, world)
        _send(client, code)
        right = _last_code()
        wrong = "000000" if right != "000000" else "111111"
        for _ in range(5):
            assert _verify(client, code, wrong).status_code == 400
        assert _verify(client, code, right).status_code == 429  # even the right one, now

    def test_codes_expire_and_are_rate_limited_per_phone(
        self, app: FastAPI, world: World, client: TestClient, clock: FrozenClock
    ) -> None:
        code = _phone_code(app, world)
        assert _send(client, code).status_code == 200
        assert _send(client, code).status_code == 429  # within the minute
        right = _last_code()
        clock.advance(timedelta(minutes=6))
        expired = _verify(client, code, right)
        assert expired.status_code == 400 and "过期" in expired.text
        for _ in range(4):
            clock.advance(timedelta(minutes=2))
            assert _send(client, code).status_code == 200
        clock.advance(timedelta(minutes=2))
        assert _send(client, code).status_code == 429  # five an hour
        with world.db.transaction(write=False) as session:
            rows = session.query(PhoneChallenge).all()
            assert len(rows) == 5 and all(r.code_hash != right for r in rows)

    def test_a_bad_phone_file_is_rejected_whole(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        code = create_code(client, world, new_groups(world, 1), phone_verification=True)
        for name, body, status in [
            ("list.pdf", b"x", 415),
            ("list.csv", b"name\nx\n", 400),
            ("list.csv", b"", 400),
        ]:
            response = client.post(
                url(world, f"/{code['id']}/phones"), params={"file_name": name}, content=body
            )
            assert response.status_code == status, (name, response.text)
        partial = client.post(
            url(world, f"/{code['id']}/phones"),
            params={"file_name": "list.csv"},
            content=f"phone\n{PHONE}\nnot-a-phone\n".encode(),
        )
        assert partial.json()["added"] == 1 and partial.json()["rejected"] == [
            "row 3: not a mobile number"
        ]


class TestCustomerRouting:
    def test_a_signed_link_routes_a_tagged_customer_to_their_pool(
        self, app: FastAPI, world: World, client: TestClient
    ) -> None:
        api = admin(app, world)
        vip_wecom_id = world.tag_id("等级", "VIP")
        world.deliver()
        tagged = add_customer(world)
        plain = add_customer(world)
        world.act(
            "staff_edits_customer",
            userid="alice",
            external_userid=tagged.external_userid,
            add_tags=[vip_wecom_id],
        )
        world.deliver()
        vip = world.tag(vip_wecom_id)
        assert vip is not None
        vips = create_code(api, world, new_groups(world, 1), name="VIP 群")
        others = create_code(api, world, new_groups(world, 1), name="普通群")
        router = create_code(
            api,
            world,
            new_groups(world, 1),
            name="分流",
            routes=[
                {
                    "label": "VIP",
                    "kind": "tag",
                    "match_id": str(vip.id),
                    "target_code_id": vips["id"],
                },
                {"label": "其他", "target_code_id": others["id"]},
            ],
        )

        def link(external_userid: str) -> str:
            answer = api.get(
                url(world, f"/{router['id']}/customer-link"),
                params={"external_userid": external_userid},
            )
            assert answer.status_code == 200, answer.text
            return str(answer.json()["url"])

        routed = client.get(link(tagged.external_userid), follow_redirects=False)
        assert routed.status_code == 303 and vips["page_path"] in routed.headers["location"]
        assert vips["qr_code"] in client.get(routed.headers["location"]).text
        untagged = client.get(link(plain.external_userid), follow_redirects=False)
        assert untagged.status_code == 200 and others["page_path"] in untagged.text
        forged = link(tagged.external_userid).replace(tagged.external_userid, plain.external_userid)
        assert client.get(forged, follow_redirects=False).status_code == 200  # anonymous
        bad = api.patch(
            url(world, f"/{router['id']}"),
            json={
                "routes": [
                    {
                        "label": "x",
                        "kind": "segment",
                        "match_id": str(uuid.uuid4()),
                        "target_code_id": vips["id"],
                    }
                ]
            },
        )
        assert bad.status_code == 400 and "segment" in bad.text
        missing = api.patch(
            url(world, f"/{router['id']}"),
            json={"routes": [{"label": "x", "kind": "tag", "target_code_id": vips["id"]}]},
        )
        assert missing.status_code == 422
