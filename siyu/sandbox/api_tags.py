"""Corp tag endpoints (API-FACTS §4.2): CRUD, the 3,000-tag cap, name rules and mark_tag."""

from __future__ import annotations

from typing import Any

from siyu.sandbox.api_core import get_follow
from siyu.sandbox.models import Corp, Tag, TagGroup
from siyu.sandbox.registry import Ctx, api
from siyu.wecom.errors import WeComError

NAME_MAX = 30


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX:
        raise WeComError(40071, "tag name must be 1-30 characters")
    return value


def _order(value: Any) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
        raise WeComError(40058, "order must be in [0, 2^32)")
    return value


def group_json(
    group: TagGroup, tags: list[Tag] | None = None, *, deleted: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "group_id": group.group_id,
        "group_name": group.group_name,
        "create_time": group.create_time,
        "order": group.order,
        "tag": [
            {"id": t.id, "name": t.name, "create_time": t.create_time, "order": t.order}
            | ({"deleted": False} if deleted else {})
            for t in (tags if tags is not None else group.tags.values())
        ],
    }
    if deleted:
        data["deleted"] = False
    return data


@api("externalcontact/get_corp_tag_list")
def get_corp_tag_list(ctx: Ctx) -> dict[str, Any]:
    corp, p = ctx.corp, ctx.params
    group_ids = p.str_list("group_id")
    tag_ids = p.str_list("tag_id")
    if group_ids:  # both given: group_id wins
        groups = [corp.tag_groups[g] for g in group_ids if g in corp.tag_groups]
        return {"tag_group": [group_json(g) for g in groups]}
    if tag_ids:
        by_group: dict[str, list[Tag]] = {}
        for tag_id in tag_ids:
            tag = corp.tags.get(tag_id)
            if tag is not None:
                by_group.setdefault(tag.group_id, []).append(tag)
        return {
            "tag_group": [
                group_json(corp.tag_groups[g], tags, deleted=True) for g, tags in by_group.items()
            ]
        }
    return {"tag_group": [group_json(g) for g in corp.tag_groups.values()]}


def add_tags(
    ctx: Ctx, *, group_id: str, group_name: str, group_order: int, tags: list[dict[str, Any]]
) -> tuple[TagGroup, list[Tag]]:
    """Shared by the API and the console-style control actions."""
    corp, state = ctx.corp, ctx.state
    if group_id:
        group = corp.tag_groups.get(group_id)
        if group is None:
            raise WeComError(40068, "invalid group_id")
    else:
        group = next((g for g in corp.tag_groups.values() if g.group_name == group_name), None)
        if group is None:
            group = TagGroup(state.new_id("et", 30), _name(group_name), ctx.now, group_order)
    if not tags:
        raise WeComError(40058, "tag missing")
    if len(corp.tags) + len(tags) > state.rules.corp_tag_cap:
        raise WeComError(40126)
    names = {t.name for t in group.tags.values()}
    created = []
    for spec in tags:
        name = _name(spec.get("name"))
        if name in names:
            raise WeComError(40071, f"tag name already exists: {name}")
        names.add(name)
        created.append(
            Tag(state.new_id("et", 30), name, group.group_id, ctx.now, _order(spec.get("order")))
        )
    corp.tag_groups[group.group_id] = group
    for tag in created:
        group.tags[tag.id] = tag
        corp.tags[tag.id] = tag
    return group, created


@api("externalcontact/add_corp_tag")
def add_corp_tag(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    group_id = p.str("group_id")
    group_name = p.str("group_name")
    if not group_id and not group_name:
        raise WeComError(40058, "group_id or group_name required")
    raw_tags = p.list("tag")
    if not all(isinstance(t, dict) for t in raw_tags):
        raise WeComError(40058, "invalid tag")
    group, created = add_tags(
        ctx,
        group_id=group_id,
        group_name=group_name,
        group_order=_order(p.data.get("order")),
        tags=raw_tags,
    )
    return {"tag_group": group_json(group, created)}


@api("externalcontact/edit_corp_tag")
def edit_corp_tag(ctx: Ctx) -> dict[str, Any]:
    corp, p = ctx.corp, ctx.params
    target = p.str("id", required=True, missing=40068)
    name = _name(p.data["name"]) if "name" in p.data else None
    order = _order(p.data["order"]) if "order" in p.data else None
    if target in corp.tags:
        tag = corp.tags[target]
        siblings = corp.tag_groups[tag.group_id].tags.values()
        if name is not None and any(t.name == name and t.id != tag.id for t in siblings):
            raise WeComError(40071, f"tag name already exists: {name}")
        tag.name = name if name is not None else tag.name
        tag.order = order if order is not None else tag.order
    elif target in corp.tag_groups:
        group = corp.tag_groups[target]
        if name is not None and any(
            g.group_name == name and g is not group for g in corp.tag_groups.values()
        ):
            raise WeComError(40071, f"group name already exists: {name}")
        group.group_name = name if name is not None else group.group_name
        group.order = order if order is not None else group.order
    else:
        raise WeComError(40068)
    return {}


def delete_tags(corp: Corp, tag_ids: list[str], group_ids: list[str]) -> None:
    unknown = [t for t in tag_ids if t not in corp.tags] + [
        g for g in group_ids if g not in corp.tag_groups
    ]
    if unknown:
        raise WeComError(40068, f"invalid tag or group id: {unknown[0]}")
    doomed = set(tag_ids)
    for group_id in group_ids:
        doomed |= set(corp.tag_groups[group_id].tags)
    for tag_id in doomed:
        tag = corp.tags.pop(tag_id)
        group = corp.tag_groups.get(tag.group_id)
        if group is not None:
            group.tags.pop(tag_id, None)
            if not group.tags:  # a group without tags does not exist in WeCom
                del corp.tag_groups[group.group_id]
    for group_id in group_ids:
        corp.tag_groups.pop(group_id, None)
    if doomed:
        for customer in corp.customers.values():
            for follow in customer.follows.values():
                if follow.tags and doomed.intersection(follow.tags):
                    follow.tags = [t for t in follow.tags if t not in doomed]
                    follow.touch()


@api("externalcontact/del_corp_tag")
def del_corp_tag(ctx: Ctx) -> dict[str, Any]:
    tag_ids = ctx.params.str_list("tag_id")
    group_ids = ctx.params.str_list("group_id")
    if not tag_ids and not group_ids:
        raise WeComError(40058, "tag_id and group_id are both empty")
    delete_tags(ctx.corp, tag_ids, group_ids)
    return {}


@api("externalcontact/mark_tag")
def mark_tag(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    follow = get_follow(
        ctx.corp,
        p.str("userid", required=True, missing=40003),
        p.str("external_userid", required=True, missing=41035),
    )
    add = p.str_list("add_tag")
    remove = p.str_list("remove_tag")
    if not add and not remove:
        raise WeComError(40058, "add_tag and remove_tag are both empty")
    for tag_id in add + remove:
        if tag_id not in ctx.corp.tags:
            raise WeComError(40068, f"invalid tag id: {tag_id}")
    tags = [t for t in follow.tags if t not in remove]
    tags += [t for t in dict.fromkeys(add) if t not in tags]
    if len(tags) > ctx.state.rules.corp_tag_cap:
        raise WeComError(40058, "a customer may carry at most 3000 tags per member")
    follow.tags = tags
    follow.touch()
    return {}
