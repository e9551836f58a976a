"""The scenario's sandbox side, over HTTP only: its control API (people acting, the clock) and
its WeCom API (what WeCom itself says happened, for the checks). Works the same against a
sandbox in this process or a running `siyu demo`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from siyu.storeopening.plan import GROUPS, Plan


class SandboxError(RuntimeError):
    pass


def _json(response: httpx.Response, what: str) -> Any:
    if response.status_code >= 400:
        raise SandboxError(f"sandbox: {what} failed: HTTP {response.status_code} {response.text}")
    return response.json()


def keep_alive_client(**kwargs: Any) -> httpx.Client:
    """A client that resends a request once when the server had just closed the idle
    keep-alive connection under it (uvicorn closes them after 5 s; the scenario often waits
    longer than that for Siyu). Such a request never reached the server, so resending is safe."""

    class _Resend(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            try:
                return super().handle_request(request)
            except httpx.RemoteProtocolError:
                return super().handle_request(request)

    return httpx.Client(transport=_Resend(), **kwargs)


class SandboxSide:
    def __init__(self, base_url: str, *, corp_id: str, secret: str) -> None:
        self.http = keep_alive_client(base_url=base_url, timeout=60)
        self.corp_id = corp_id
        self.secret = secret
        self._token = ""

    def close(self) -> None:
        self.http.close()

    # --- WeCom's API (reads) ---
    def wecom(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        for _ in range(2):
            if not self._token:
                got = _json(
                    self.http.get(
                        "/cgi-bin/gettoken",
                        params={"corpid": self.corp_id, "corpsecret": self.secret},
                    ),
                    "gettoken",
                )
                self._token = str(got["access_token"])
            params = {"access_token": self._token}
            if method == "GET":
                answer = self.http.get(f"/cgi-bin/{path}", params={**params, **(body or {})})
            else:
                answer = self.http.post(f"/cgi-bin/{path}", params=params, json=body or {})
            result: dict[str, Any] = _json(answer, path)
            if result.get("errcode") in (40014, 42001):
                self._token = ""
                continue
            if result.get("errcode"):
                raise SandboxError(f"sandbox: {path} answered {result}")
            return result
        raise SandboxError(f"sandbox: {path} keeps refusing the token")

    def follow_users(self) -> list[str]:
        return list(self.wecom("GET", "externalcontact/get_follow_user_list")["follow_user"])

    def relations(self, userids: list[str]) -> list[dict[str, Any]]:
        """Every relation of these staff, as batch/get_by_user pages them."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(userids), 100):
            cursor = ""
            while True:
                page = self.wecom(
                    "POST",
                    "externalcontact/batch/get_by_user",
                    {"userid_list": userids[start : start + 100], "cursor": cursor, "limit": 100},
                )
                items.extend(page.get("external_contact_list", []))
                cursor = page.get("next_cursor", "")
                if not cursor:
                    break
        return items

    def group_members(self, chat_id: str) -> int:
        got = self.wecom("POST", "externalcontact/groupchat/get", {"chat_id": chat_id})
        return len(got["group_chat"]["member_list"])

    def contact_way_users(self, config_id: str) -> list[str]:
        got = self.wecom("POST", "externalcontact/get_contact_way", {"config_id": config_id})
        return list(got["contact_way"].get("user", []))

    # --- the control API (people, the clock) ---
    def act(self, action: str, **body: Any) -> dict[str, Any]:
        url = f"/sandbox/corps/{self.corp_id}/actions/{action}"
        return dict(_json(self.http.post(url, json=body), action))

    def now(self) -> float:
        return float(_json(self.http.get("/sandbox/clock"), "clock")["now"])

    def clock(self, **body: Any) -> dict[str, Any]:
        return dict(_json(self.http.post("/sandbox/clock", json=body), "clock"))

    def drain(self) -> bool:
        got = _json(self.http.post("/sandbox/callbacks/drain", json={"timeout": 30}), "drain")
        return bool(got["drained"])

    @contextmanager
    def live_paused(self) -> Iterator[None]:
        """The demo's live arrivals scan every contact way of the corp, the store's too, and
        would crowd in by the hundred as the clock jumps: they pause for the hour."""
        drivers = _json(self.http.get("/sandbox/live"), "live")["drivers"]
        running = any(d["corp_id"] == self.corp_id and d["running"] for d in drivers)
        if running:
            _json(
                self.http.post("/sandbox/live", json={"corp_id": self.corp_id, "running": False}),
                "pause live arrivals",
            )
        try:
            yield
        finally:
            if running:
                self.http.post("/sandbox/live", json={"corp_id": self.corp_id, "running": True})

    def ensure_staff(self, plan: Plan) -> None:
        """The twenty store staff (a restored demo world keeps the ones it has)."""
        have = set(self.follow_users())
        for index, userid in enumerate(plan.staff, start=1):
            if userid not in have:
                body = {"userid": userid, "name": f"店员{index:02d}"}
                _json(self.http.post(f"/sandbox/corps/{self.corp_id}/staff", json=body), "staff")

    def ensure_groups(self, plan: Plan, *, prefix: str = "开业福利群") -> list[str]:
        """The store's groups, owned in turn by the pool staff; created only once."""
        listed = self.wecom("POST", "externalcontact/groupchat/list", {"limit": 1000})
        names: dict[str, str] = {}
        for item in listed.get("group_chat_list", []):
            detail = self.wecom(
                "POST", "externalcontact/groupchat/get", {"chat_id": item["chat_id"]}
            )
            names[detail["group_chat"]["name"]] = item["chat_id"]
        chat_ids = []
        for index in range(1, GROUPS + 1):
            name = f"{prefix}{index}"
            if name not in names:
                owner = plan.staff[(index - 1) % len(plan.staff)]
                names[name] = self.act("create_group", owner=owner, name=name)["chat_id"]
            chat_ids.append(names[name])
        return chat_ids
