"""A post in WeCom's add_moment_task shape (API-FACTS §4.7)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from siyu.kit.errors import Unprocessable
from siyu.moments import rules
from siyu.moments.models import MomentPost
from siyu.moments.schemas import MomentAttachment
from siyu.tags.service import tag_service

PURPOSE = "moment"  # usage counted per purpose by the materials library
KINDS = {"image", "video", "link"}

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.runtime import Runtime


def attachments_of(
    session: Session, post: MomentPost, *, corp: Corp, runtime: Runtime
) -> list[dict[str, Any]]:
    """Direct media ids and links as they are; library materials through the materials domain
    (cached WeCom media ids, uploaded when missing). What the materials resolve to is checked
    against the moment rules again: a material's kind is only known once it is resolved."""
    from siyu.materials.service import materials_service

    material_ids = [uuid.UUID(a["material_id"]) for a in post.attachments if a.get("material_id")]
    resolved = iter(
        materials_service.wecom_attachments(
            session, corp=corp, runtime=runtime, material_ids=material_ids, purpose=PURPOSE
        )
        if material_ids
        else []
    )
    wire: list[dict[str, Any]] = []
    for item in post.attachments:
        if item.get("material_id"):
            wire.append(_as_moment(next(resolved)))
        elif item["kind"] == "link":
            link = {"title": item["title"], "url": item["url"]}
            if item.get("media_id"):
                link["media_id"] = item["media_id"]  # the cover image
            wire.append({"msgtype": "link", "link": link})
        else:
            wire.append({"msgtype": item["kind"], item["kind"]: {"media_id": item["media_id"]}})
    rules.check_attachments(
        [MomentAttachment.model_validate(_declared(a)) for a in wire if a["msgtype"] in KINDS]
    )
    odd = sorted({a["msgtype"] for a in wire} - KINDS)
    if odd:
        raise Unprocessable(f"a moment cannot carry {', '.join(odd)} attachments")
    return wire


def _as_moment(attachment: dict[str, Any]) -> dict[str, Any]:
    """A moment link takes title, url and an optional cover media_id (no picurl or desc)."""
    if attachment["msgtype"] != "link":
        return attachment
    link = attachment["link"]
    return {"msgtype": "link", "link": {"title": link["title"], "url": link["url"]}}


def _declared(attachment: dict[str, Any]) -> dict[str, Any]:
    kind = attachment["msgtype"]
    body = attachment[kind]
    if kind == "link":
        return {"kind": kind, "title": body["title"], "url": body["url"]}
    return {"kind": kind, "media_id": body.get("media_id") or "resolved"}


def visible_range(session: Session, post: MomentPost) -> tuple[dict[str, Any], list[str]]:
    """The visible range, and the Siyu tags that no longer exist in WeCom (left out)."""
    tags = tag_service.get_tags(
        session, corp_id=post.corp_id, tag_ids=[uuid.UUID(t) for t in post.tag_ids]
    )
    wecom_ids = [t.wecom_tag_id for t in tags if t.wecom_tag_id and t.deleted_at is None]
    gone = sorted(set(post.tag_ids) - {str(t.id) for t in tags if t.wecom_tag_id in wecom_ids})
    senders: dict[str, Any] = {}
    if post.sender_userids:
        senders["user_list"] = post.sender_userids
    if post.sender_department_ids:
        senders["department_list"] = post.sender_department_ids
    visible: dict[str, Any] = {}
    if senders:
        visible["sender_list"] = senders
    if wecom_ids:
        visible["external_contact_list"] = {"tag_list": wecom_ids}
    return visible, gone
