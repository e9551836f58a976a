"""gettoken, token checks, methods, the errmsg format, rate and concurrency limits."""

from __future__ import annotations

import asyncio

import httpx
from starlette.testclient import TestClient

from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from tests.sandbox.helpers import WeCom, assert_errcode


class TestGettoken:
    def test_issues_a_7200_second_token_and_repeats_it(
        self, client: TestClient, corp: Corp
    ) -> None:
        params = {"corpid": corp.corp_id, "corpsecret": corp.secret}
        first = client.get("/cgi-bin/gettoken", params=params).json()
        assert first["errcode"] == 0 and first["errmsg"] == "ok" and first["expires_in"] == 7200
        assert len(first["access_token"]) <= 512
        assert (
            client.get("/cgi-bin/gettoken", params=params).json()["access_token"]
            == first["access_token"]
        )

    def test_missing_and_wrong_credentials(self, client: TestClient, corp: Corp) -> None:
        assert_errcode(client.get("/cgi-bin/gettoken", params={"corpsecret": "x"}).json(), 41002)
        assert_errcode(
            client.get("/cgi-bin/gettoken", params={"corpid": corp.corp_id}).json(), 41004
        )
        assert_errcode(
            client.get("/cgi-bin/gettoken", params={"corpid": "wwnope", "corpsecret": "x"}).json(),
            40013,
        )
        assert_errcode(
            client.get(
                "/cgi-bin/gettoken", params={"corpid": corp.corp_id, "corpsecret": "bad"}
            ).json(),
            40001,
        )

    def test_a_new_token_after_expiry(self, wecom: WeCom) -> None:
        old = wecom.token
        wecom.auto_refresh = False
        wecom.advance(7200)
        assert_errcode(wecom.get("externalcontact/get_follow_user_list"), 42001)
        wecom._token = ""
        assert wecom.token != old
        wecom.ok("externalcontact/get_follow_user_list", method="GET")


class TestAccessToken:
    def test_missing_token(self, client: TestClient) -> None:
        assert_errcode(client.get("/cgi-bin/externalcontact/get_follow_user_list").json(), 41001)

    def test_unknown_token(self, client: TestClient) -> None:
        result = client.get(
            "/cgi-bin/externalcontact/get_follow_user_list", params={"access_token": "nope"}
        ).json()
        assert_errcode(result, 40014)

    def test_revoked_early(self, wecom: WeCom, client: TestClient, corp: Corp) -> None:
        wecom.ok("externalcontact/get_follow_user_list", method="GET")
        assert client.post(f"/sandbox/corps/{corp.corp_id}/tokens/revoke").json() == {"revoked": 1}
        assert_errcode(wecom.get("externalcontact/get_follow_user_list"), 40014)


class TestProtocol:
    def test_wrong_method_is_40058(self, wecom: WeCom, client: TestClient) -> None:
        result = client.get(
            "/cgi-bin/externalcontact/batch/get_by_user", params={"access_token": wecom.token}
        ).json()
        assert_errcode(result, 40058)
        result = client.post(
            "/cgi-bin/externalcontact/list", params={"access_token": wecom.token}
        ).json()
        assert_errcode(result, 40058)

    def test_bad_json_is_40058(self, wecom: WeCom, client: TestClient) -> None:
        response = client.post(
            "/cgi-bin/externalcontact/remark",
            params={"access_token": wecom.token},
            content=b"{nope",
        )
        assert_errcode(response.json(), 40058)

    def test_errmsg_format(self, wecom: WeCom) -> None:
        result = wecom.get("user/get", userid="ghost")
        assert result["errcode"] == 60111
        text, rest = result["errmsg"].split(", hint: [", 1)
        hint, rest = rest.split("], from ip: ", 1)
        ip, url = rest.split(", more info at ", 1)
        assert (
            text
            and hint.isdigit()
            and ip
            and url == "https://open.work.weixin.qq.com/devtool/query?e=60111"
        )

    def test_unknown_path_is_404(self, client: TestClient) -> None:
        assert client.get("/cgi-bin/nope/nothing").status_code == 404


class TestRateLimits:
    def test_per_minute_limit_per_api_then_lifted_next_minute(
        self, wecom: WeCom, state: SandboxState
    ) -> None:
        state.rules.rate_limit_per_minute = 3
        for _ in range(3):
            wecom.ok("externalcontact/get_follow_user_list", method="GET")
        assert_errcode(wecom.get("externalcontact/get_follow_user_list"), 45009)
        wecom.ok("department/list", method="GET")  # another API has its own budget
        wecom.advance(60)
        wecom.ok("externalcontact/get_follow_user_list", method="GET")

    def test_concurrency_cap(self, wecom: WeCom, state: SandboxState) -> None:
        token = wecom.token
        state.rules.concurrency_cap = 1
        state.faults.configure({"latency_ms": {"externalcontact/get_follow_user_list": 100}})

        async def burst() -> list[int]:
            transport = httpx.ASGITransport(app=create_sandbox_app(state))
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
                calls = [
                    client.get(
                        "/cgi-bin/externalcontact/get_follow_user_list",
                        params={"access_token": token},
                    )
                    for _ in range(3)
                ]
                return sorted(r.json()["errcode"] for r in await asyncio.gather(*calls))

        assert asyncio.run(burst()) == [0, 45033, 45033]


class TestFaultInjection:
    def test_injected_errcodes_are_reproducible_from_the_seed(
        self, wecom: WeCom, client: TestClient
    ) -> None:
        def run() -> list[int]:
            config = {"seed": 42, "api_errors": {"department/list": {"errcode": -1, "rate": 0.5}}}
            assert client.put("/sandbox/faults", json=config).status_code == 200
            return [wecom.get("department/list")["errcode"] for _ in range(20)]

        first = run()
        assert set(first) == {0, -1}
        assert run() == first
