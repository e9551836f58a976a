"""The rest of the demo world around the store opening: a few materials, a group mass
message and a moment, created through Siyu's API like an operator would, so the console's
material library, mass-message and moments pages have something real to show. Idempotent by
title: a restarted demo finds them and creates nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from siyu.profile.stages import CN_TZ
from siyu.storeopening.siyu_side import SiyuApi, StoreSetup

MATERIALS: tuple[dict[str, Any], ...] = (
    {
        "kind": "text",
        "title": "开业欢迎语",
        "content": {"content": "欢迎光临新店！开业首周全场八折，进群再领 20 元新人券。"},
        "tags": ["开业"],
    },
    {
        "kind": "link",
        "title": "开业活动详情",
        "content": {
            "url": "https://example.com/store-opening",
            "desc": "新店开业：满减、抽奖和会员日",
            "picurl": "https://example.com/store-opening/cover.png",
        },
        "tags": ["开业", "活动"],
    },
    {
        "kind": "text",
        "title": "会员积分说明",
        "content": {"content": "消费 1 元积 1 分，100 分抵 5 元；积分一年有效。"},
        "tags": ["会员"],
    },
)


def _titles(api: SiyuApi, path: str, field: str) -> dict[str, Any]:
    page = api.call("GET", path, limit=100)
    return {str(item.get(field)): item for item in page["items"]}


def seed_showcase(api: SiyuApi, setup: StoreSetup, *, staff: list[str]) -> dict[str, int]:
    materials = _titles(api, "/materials", "title")
    for body in MATERIALS:
        if body["title"] not in materials:
            materials[body["title"]] = api.call("POST", "/materials", body)
    link = materials["开业活动详情"]
    tomorrow = (datetime.now(CN_TZ) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    campaigns = _titles(api, "/mass-campaigns", "name")
    if "开业福利群·明日会员日" not in campaigns:
        api.call(
            "POST",
            "/mass-campaigns",
            {
                "kind": "groups",
                "name": "开业福利群·明日会员日",
                "text": "明天是开业会员日，到店出示会员码再享九折！",
                "material_ids": [link["id"]],
                "chat_ids": list(setup.chat_ids[:3]),
                "send_at": tomorrow.isoformat(),
            },
        )
    moments = api.call("GET", "/moments", limit=100)["items"]
    if not any("新店开业" in (m.get("text") or "") for m in moments):
        api.call(
            "POST",
            "/moments",
            {
                "text": "新店开业啦！开业首周全场八折，欢迎到店。",
                "attachments": [{"kind": "link", "material_id": link["id"]}],
                "visibility": {"sender_userids": staff[:5]},
                "action": "schedule",
                "due_at": tomorrow.isoformat(),
            },
        )
    return {"materials": len(MATERIALS), "campaigns": 1, "moments": 1}
