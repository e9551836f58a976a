"""A seeded generator of realistic worlds: departments, staff, customers, tags, groups.

Same seed, same arguments → the same world, id for id. Relations are created directly (a
world that already exists emits no callbacks). Built for 10 to 1,000,000 customers: one pass,
no per-customer scans.
"""

from __future__ import annotations

import random
import string
from typing import Any

from siyu.sandbox.behaviours import link
from siyu.sandbox.models import (
    Corp,
    Customer,
    Department,
    Follow,
    GroupChat,
    GroupMember,
    Staff,
    Tag,
    TagGroup,
)
from siyu.sandbox.state import SandboxState
from siyu.sandbox.views import render_batch_item

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建国志文斌宇浩然欣怡晨"
    "雪梅琳婷佳子涵轩博睿思雨萱嘉琪梓豪俊凯乐天一诺安宁晓东海波"
)
PINYIN = [
    "wang",
    "li",
    "zhang",
    "liu",
    "chen",
    "yang",
    "huang",
    "zhao",
    "wu",
    "zhou",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
]
DEPARTMENTS = [
    "销售一部",
    "销售二部",
    "客服中心",
    "门店运营",
    "市场部",
    "会员中心",
    "华东大区",
    "华南大区",
    "线上商城",
    "社群运营",
]
TAG_GROUPS = {
    "客户等级": ["普通", "银卡", "金卡", "钻石"],
    "来源渠道": ["门店", "直播", "公众号", "小程序", "朋友推荐"],
    "兴趣偏好": ["美妆", "母婴", "数码", "运动", "美食", "旅行"],
    "生命周期": ["新客", "活跃", "沉睡", "流失预警"],
}
ADD_WAYS = [1, 1, 1, 1, 2, 3, 4, 5, 6, 16, 201, 202]
ALNUM = string.ascii_letters + string.digits
ID_CHARS = ALNUM + "-_"


def chinese_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def make_customer(rng: random.Random, now: int) -> Customer:
    external_userid = "wm" + "".join(rng.choices(ID_CHARS, k=30))
    return Customer(
        external_userid=external_userid,
        name=chinese_name(rng),
        unionid="o" + "".join(rng.choices(ID_CHARS, k=27)),
        gender=rng.choices((0, 1, 2), weights=(1, 4, 5))[0],
        phone="1" + rng.choice("3578") + "".join(rng.choices(string.digits, k=9)),
        avatar=f"https://wx.qlogo.cn/mmhead/{external_userid[2:14]}/0",
        created_at=now,
    )


def add_departments(corp: Corp, count: int) -> None:
    corp.departments.setdefault(1, Department(1, corp.name, 0, 0, "Head office"))
    for i in range(count):
        dept_id = max(corp.departments) + 1
        corp.departments[dept_id] = Department(
            dept_id,
            DEPARTMENTS[i % len(DEPARTMENTS)] + ("" if i < len(DEPARTMENTS) else str(i)),
            1,
            i + 1,
        )


def make_staff(rng: random.Random, corp: Corp, index: int) -> Staff:
    departments = [d for d in corp.departments if d != 1] or [1]
    userid = f"{PINYIN[index % len(PINYIN)]}{index + 1:04d}"
    return Staff(
        userid=userid,
        name=chinese_name(rng),
        department=[departments[index % len(departments)]],
        mobile="1" + rng.choice("3578") + "".join(rng.choices(string.digits, k=9)),
        gender=rng.choice("12"),
        position=rng.choice(["客户经理", "导购", "客服专员", "社群运营", "店长"]),
        email=f"{userid}@example.com",
    )


def generate_world(
    state: SandboxState,
    corp: Corp,
    *,
    seed: int | None = None,
    customers: int = 100,
    staff: int | None = None,
    departments: int | None = None,
    groups: int | None = None,
    history_days: int = 365,
    second_follow_rate: float = 0.15,
    tag_rate: float = 0.6,
    prerender: bool = True,
) -> dict[str, Any]:
    rng = random.Random(f"world:{state.seed if seed is None else seed}:{corp.corp_id}")
    now = state.now()
    staff_count = staff if staff is not None else max(3, min(2000, customers // 1500 + 3))
    add_departments(
        corp, departments if departments is not None else min(10, max(1, staff_count // 5))
    )
    base = len(corp.staff)
    members = [make_staff(rng, corp, base + i) for i in range(staff_count)]
    for member in members:
        corp.staff[member.userid] = member
    members = [m for m in corp.staff.values() if m.can_follow and m.resigned_at is None]
    tags: list[str] = []
    for group_name, names in TAG_GROUPS.items():
        if any(g.group_name == group_name for g in corp.tag_groups.values()):
            continue
        group = TagGroup(
            "et" + "".join(rng.choices(ALNUM, k=28)), group_name, now - history_days * 86400
        )
        for order, name in enumerate(names):
            tag = Tag(
                "et" + "".join(rng.choices(ALNUM, k=28)),
                name,
                group.group_id,
                group.create_time,
                order,
            )
            group.tags[tag.id] = tag
            corp.tags[tag.id] = tag
        corp.tag_groups[group.group_id] = group
    tags = list(corp.tags)
    states = ["", "", "store_sh01", "live_0618", "mp_menu", "poster_a"]
    span = history_days * 86400
    random_ = rng.random
    for _ in range(customers):
        created = now - int(random_() * span)
        customer = make_customer(rng, created)
        corp.customers[customer.external_userid] = customer
        corp.unionids[customer.unionid] = customer.external_userid
        owners = [rng.choice(members)]
        if random_() < second_follow_rate and len(members) > 1:
            other = rng.choice(members)
            if other is not owners[0]:
                owners.append(other)
        for member in owners:
            follow = Follow(
                member.userid,
                customer.external_userid,
                created,
                add_way=rng.choice(ADD_WAYS),
                state=rng.choice(states),
                oper_userid=customer.external_userid,
            )
            if tags and random_() < tag_rate:
                follow.tags = rng.sample(tags, k=1 + int(random_() * 3))
            link(member, customer, follow)
            if prerender:
                render_batch_item(corp, follow)
    group_count = groups if groups is not None else max(1, customers // 200)
    _make_groups(state, corp, rng, members, group_count, now)
    return {
        "staff": len(corp.staff),
        "customers": len(corp.customers),
        "groups": len(corp.groups),
        "tags": len(corp.tags),
        "departments": len(corp.departments),
    }


def _make_groups(
    state: SandboxState, corp: Corp, rng: random.Random, members: list[Staff], count: int, now: int
) -> None:
    for index in range(count):
        owner = rng.choice(members)
        created = now - rng.randrange(1, 180) * 86400
        group = GroupChat(
            "wr" + "".join(rng.choices(ID_CHARS, k=30)),
            f"{owner.name}的福利群{index + 1}",
            owner.userid,
            created,
        )
        group.members[owner.userid] = GroupMember(owner.userid, 1, created, 1, name=owner.name)
        pool = owner.follow_order
        for ext in rng.sample(pool, k=min(len(pool), rng.randrange(3, 120))):
            customer = corp.customers[ext]
            group.members[ext] = GroupMember(
                ext,
                2,
                created + rng.randrange(0, 86400),
                rng.choice((1, 2, 3)),
                unionid=customer.unionid,
                invitor=owner.userid,
                name=customer.name,
            )
        group.member_version = state.version(group.chat_id, len(group.members))
        corp.groups[group.chat_id] = group
