"""The scenario's Siyu side: everything an operator would click, through Siyu's REST API.

A short-lived API key (scope `*`, expiring in a day) is minted in the database, as
`POST …/api-keys` would, and every channel, tag, code and the group code is then created over
HTTP, so the scenario goes through the same validation, transactions and after-commit jobs as
the console."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from siyu.audit.context import AuditContext, bind_audit_context
from siyu.auth.management import ApiKeyService
from siyu.auth.schemas import ApiKeyCreate
from siyu.corps.service import corp_service
from siyu.db.session import Database
from siyu.kit.clock import utcnow
from siyu.storeopening.plan import ACTIVE_GROUPS, THRESHOLD_PERCENT, Plan
from siyu.storeopening.wecom_side import keep_alive_client

TAG_GROUP = "开业渠道"


class SiyuError(RuntimeError):
    pass


@dataclass(frozen=True)
class Code:
    id: str
    state: str
    config_id: str
    channel: str
    tag_id: str  # Siyu's id of the channel tag
    wecom_tag_id: str
    daily_cap: int


@dataclass(frozen=True)
class StoreSetup:
    corp_id: uuid.UUID
    codes: tuple[Code, ...]
    group_code_id: str
    join_config_id: str
    group_page: str
    chat_ids: tuple[str, ...]
    group_cap: int  # the group code's, as it is (an existing demo code keeps its own)
    threshold: int


def mint_key(db: Database, wecom_corp_id: str) -> tuple[uuid.UUID, str]:
    with db.transaction() as session:
        bind_audit_context(session, AuditContext(actor_label="store-opening"), guard_writes=False)
        corp = corp_service.get_by_wecom_id(session, wecom_corp_id)
        if corp is None:
            raise SiyuError(f"corp {wecom_corp_id} is not registered in Siyu")
        data = ApiKeyCreate(
            name="store-opening scenario", scopes=["*"], expires_at=utcnow() + timedelta(days=1)
        )
        _, key = ApiKeyService().create(session, corp_id=corp.id, data=data, created_by=None)
        return corp.id, key


class SiyuApi:
    def __init__(self, base_url: str, corp_id: uuid.UUID, key: str) -> None:
        self.http = keep_alive_client(
            base_url=f"{base_url}/api/v1/corps/{corp_id}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        answer = self.http.request(method, path, json=body, params=params or None)
        if answer.status_code >= 400:
            raise SiyuError(f"siyu: {method} {path} → {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def wait(self, what: str, check: Any, timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.2)
        raise SiyuError(f"siyu: timed out waiting for {what}")

    def sync(self) -> None:
        """A full sync (staff, tags, groups), waited for. A sync already running (the demo's
        first) may have listed the staff before the store's were added: wait for it to end,
        then run one of our own."""
        for _ in range(2):
            answer = self.http.post("/sync")
            error = answer.json().get("error", {}) if answer.status_code == 409 else {}
            if error.get("code") == "sync_running":
                self._wait_run(error["details"]["run_id"])
                continue
            if answer.status_code >= 400:
                raise SiyuError(f"siyu: POST /sync → {answer.status_code} {answer.text[:300]}")
            done = self._wait_run(answer.json()["id"])
            if done["status"] != "done":
                raise SiyuError(f"siyu: the sync ended {done['status']}")
            return
        raise SiyuError("siyu: another sync keeps running")

    def _wait_run(self, run_id: str) -> dict[str, Any]:
        return dict(
            self.wait(
                "the directory sync",
                lambda: (
                    (r := self.call("GET", f"/sync/runs/{run_id}"))["status"] != "running" and r
                ),
                timeout=300,
            )
        )

    def all_pages(self, path: str) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self.call("GET", path, limit=200, **({"cursor": cursor} if cursor else {}))
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def staff_ids(self) -> dict[str, str]:
        return {m["userid"]: m["id"] for m in self.all_pages("/staff")}

    def group_ids(self, chat_ids: tuple[str, ...]) -> list[str]:
        by_chat = {g["chat_id"]: g["id"] for g in self.all_pages("/groups")}
        missing = [c for c in chat_ids if c not in by_chat]
        if missing:
            raise SiyuError(f"siyu: groups not synced yet: {missing[:3]}")
        return [by_chat[c] for c in chat_ids]

    def channel_tags(self, plan: Plan) -> dict[str, tuple[str, str]]:
        """Channel name → (Siyu tag id, WeCom tag id), created in WeCom once."""

        def existing() -> dict[str, Any] | None:
            groups = self.call("GET", "/tag-groups")
            return next((g for g in groups if g["name"] == TAG_GROUP), None)

        if existing() is None:
            body = {"name": TAG_GROUP, "tags": [{"name": c.name} for c in plan.channels]}
            self.call("POST", "/tag-groups", body)
        group = self.wait(
            "the channel tags in WeCom",
            lambda: (g := existing()) and all(t["wecom_tag_id"] for t in g["tags"]) and g,
        )
        tags = {t["name"]: (t["id"], t["wecom_tag_id"]) for t in group["tags"]}
        return {c.name: tags[c.name] for c in plan.channels}


def _welcome(channel: str, page: str) -> str:
    return (
        f"您好，我是{{staff_name}}，欢迎光临新店开业！您来自「{channel}」，"
        f"扫码进开业福利群领取新人券：{page}"
    )


def set_up_store(
    api: SiyuApi, plan: Plan, *, corp_id: uuid.UUID, chat_ids: list[str], public_url: str
) -> StoreSetup:
    """Caps, channel tags, the group code and one live code per channel. Idempotent by name:
    a second run (the demo restarting) reuses what the first created."""
    staff = api.staff_ids()
    missing = [u for u in plan.staff if u not in staff]
    if missing:
        raise SiyuError(f"siyu: staff not synced yet: {missing[:3]}")
    for userid in plan.staff:
        api.call("PATCH", f"/staff/{staff[userid]}", {"daily_add_cap": plan.staff_daily_cap})
    tags = api.channel_tags(plan)
    group_code = _group_code(api, plan, tuple(chat_ids))
    page = f"{public_url.rstrip('/')}{group_code['page_path']}"
    channels = {c["name"]: c for c in api.call("GET", "/acquisition/channels")}
    codes = {c["state"]: c for c in api.call("GET", "/acquisition/codes")}
    made = []
    for channel in plan.channels:
        tag_id, wecom_tag_id = tags[channel.name]
        if channel.name not in channels:
            channels[channel.name] = api.call(
                "POST",
                "/acquisition/channels",
                {"name": channel.name, "description": "新店开业", "tag_ids": [tag_id]},
            )
        body = {
            "name": channel.code_name,
            "staff_userids": list(channel.pool),
            "backup_userids": list(plan.backups),
            "routing": "round_robin",
            "daily_cap": channel.daily_cap,
            "welcome_text": _welcome(channel.name, page),
            "remark_template": f"{{date:%m%d}}-{channel.name}",
        }
        code = codes.get(channel.state)
        if code is None:
            body |= {"channel_id": channels[channel.name]["id"], "state": channel.state}
            code = api.call("POST", "/acquisition/codes", body)
        else:
            code = api.call("PATCH", f"/acquisition/codes/{code['id']}", body)
        code = api.wait(
            f"the contact way of {channel.code_name}",
            lambda cid=code["id"]: (
                (c := api.call("GET", f"/acquisition/codes/{cid}"))["config_id"]
                and not c.get("sync_error")
                and c
            ),
        )
        made.append(
            Code(
                code["id"],
                channel.state,
                code["config_id"],
                channel.name,
                tag_id,
                wecom_tag_id,
                channel.daily_cap,
            )
        )
    return StoreSetup(
        corp_id=corp_id,
        codes=tuple(made),
        group_code_id=group_code["id"],
        join_config_id=group_code["config_id"],
        group_page=page,
        chat_ids=tuple(chat_ids),
        group_cap=int(group_code["group_cap"]),
        threshold=int(group_code["threshold"]),
    )


def _group_code(api: SiyuApi, plan: Plan, chat_ids: tuple[str, ...]) -> dict[str, Any]:
    name = "开业福利群"
    listed = api.call("GET", "/group-codes")
    items = listed["items"] if isinstance(listed, dict) else listed
    found = next((c for c in items if c["name"] == name), None)
    if found is not None:
        return dict(api.call("GET", f"/group-codes/{found['id']}"))
    pool = api.group_ids(chat_ids)
    body = {
        "name": name,
        "owner_userid": plan.staff[0],
        "group_cap": plan.group_cap,
        "threshold_percent": THRESHOLD_PERCENT,
        "auto_create_room": False,
        "pool": pool,
    }
    code = dict(api.call("POST", "/group-codes", body))
    active = [s for s in code.get("slots", []) if s["status"] == "active"]
    if len(active) != min(ACTIVE_GROUPS, len(pool)):
        raise SiyuError(f"siyu: the group code went live with {len(active)} groups")
    return code
