"""The demo corp of `serve --demo`: fixed credentials, a few staff, a few hundred customers."""

from __future__ import annotations

from siyu.sandbox.models import ContactWay, Corp, JoinWay
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world

DEMO_CORP_ID = "wwsandboxdemo00001"
DEMO_SECRET = "sandbox-demo-secret-0000000000000000000000"
DEMO_TOKEN = "sandboxdemotoken"
DEMO_AES_KEY = "c2FuZGJveGRlbW9lbmNvZGluZ2Flc2tleTAwMDAwMDA"  # 43 chars, decodes to 32 bytes


def build_demo(state: SandboxState, *, customers: int = 300, staff: int = 5) -> Corp:
    """Idempotent: a restored world keeps its demo corp as it was."""
    with state.lock:
        if DEMO_CORP_ID in state.corps:
            return state.corps[DEMO_CORP_ID]
        corp = state.create_corp(
            corp_id=DEMO_CORP_ID,
            name="思域演示公司",
            secret=DEMO_SECRET,
            callback_token=DEMO_TOKEN,
            encoding_aes_key=DEMO_AES_KEY,
        )
        generate_world(state, corp, customers=customers, staff=staff, groups=6)
        users = list(corp.staff)[:3]
        way = ContactWay(
            "sandboxdemocontactway0000000001",
            2,
            2,
            state.now(),
            state="demo_counter",
            user=users,
            remark="门店前台",
        )
        way.qr_code = f"https://wework.qpic.cn/wwpic/{way.config_id}/0"
        corp.contact_ways[way.config_id] = way
        chats = list(corp.groups)[:2]
        join = JoinWay(
            "sandboxdemojoinway00000000000001",
            2,
            state.now(),
            remark="福利群",
            room_base_name="思域福利群",
            room_base_id=10,
            chat_id_list=chats,
            state="demo_group",
        )
        corp.join_ways[join.config_id] = join
        return corp
