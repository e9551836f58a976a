"""A post in WeCom's add_moment_task shape (API-FACTS §4.7)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from siyu.moments.models import MomentPost
from siyu.tags.service import tag_service

if TYPE_CHECKING:
    from siyu.corps.models import Corp
    from siyu.runtime import Runtime


def attachments_of(
    session: Session, post: MomentPost, *, corp: Corp, runtime: Runtime
) -> list[dict[str, Any]]:
    """Direct media ids and links as they are; library materials through the materials domain,
    which uploads them as moment attachments and caches their media ids."""
    wire: list[dict[str, Any]] = []
    for item in post.attachments:
        if item.get("material_id"):
            wire.extend(_materials(session, corp, runtime, [item["material_id"]]))
        elif item["kind"] == "link":
            link = {"title": item["title"], "url": item["url"]}
            if item.get("media_id"):
                link["media_id"] = item["media_id"]  # the cover image
            wire.append({"msgtype": "link", "link": link})
        else:
            wire.append({"msgtype": item["kind"], item["kind"]: {"media_id": item["media_id"]}})
    return wire


def _materials(
    session: Session, corp: Corp, runtime: Runtime, material_ids: list[str]
) -> list[dict[str, Any]]:
    """Until the materials library is merged, a material id cannot be resolved."""
    from siyu.kit.errors import Unprocessable

    del session, corp, runtime
    raise Unprocessable(
        "library materials are not available in this build; attach a media_id or a link",
        details={"material_ids": material_ids},
    )


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
