"""Materials → WeCom `attachments[]` entries (API-FACTS §4.4, §4.6, §4.7).

Shapes: image{media_id}, link{title, picurl, desc, url}, miniprogram{title, pic_media_id,
appid, page}, video{media_id}, file{media_id}. At most 9 per message; titles and descriptions
within WeCom's byte limits (link title ≤128 B, desc ≤512 B; mini-program title ≤64 B). Every
refusal is a 422 that names the material, before anything is sent or counted.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from siyu.kit.errors import Unprocessable
from siyu.materials.models import Material, MaterialMedia
from siyu.materials.schemas import TITLE_BYTES, utf8_len

MAX_ATTACHMENTS = 9
DESC_BYTES = 512
PURPOSE = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
# The attachment msgtype each kind is sent as (a poster is an image).
MSGTYPE = {
    "image": "image",
    "poster": "image",
    "link": "link",
    "miniprogram": "miniprogram",
    "video": "video",
    "file": "file",
}


def refuse(material_id: uuid.UUID, reason: str, title: str | None = None) -> Unprocessable:
    named = f"material {material_id}" + (f" ({title})" if title else "")
    return Unprocessable(
        f"{named} {reason}", details={"material_id": str(material_id)}, code="bad_material"
    )


def check_request(material_ids: Sequence[uuid.UUID], purpose: str) -> None:
    if not PURPOSE.match(purpose):
        raise Unprocessable(
            "purpose must be 1 to 32 lowercase letters, digits, '_', '.' or '-'",
            code="bad_purpose",
        )
    if len(material_ids) > MAX_ATTACHMENTS:
        raise Unprocessable(
            f"{len(material_ids)} attachments given; WeCom takes at most {MAX_ATTACHMENTS}",
            details={"count": len(material_ids)},
            code="too_many_attachments",
        )


def check_materials(
    material_ids: Sequence[uuid.UUID], found: dict[uuid.UUID, Material]
) -> list[Material]:
    """The materials in the order asked; unknown ids and texts are refused."""
    ordered = []
    for material_id in material_ids:
        material = found.get(material_id)
        if material is None:
            raise refuse(material_id, "does not exist in this corp")
        if material.kind not in MSGTYPE:
            raise refuse(
                material_id,
                "is a text: put it in the message text, not attachments",
                material.title,
            )
        limit = TITLE_BYTES.get(material.kind)
        if limit is not None and utf8_len(material.title) > limit:
            raise refuse(material_id, f"has a title over WeCom's {limit} bytes", material.title)
        if material.kind == "link" and utf8_len(material.content.get("desc", "")) > DESC_BYTES:
            raise refuse(material_id, f"has a desc over WeCom's {DESC_BYTES} bytes", material.title)
        ordered.append(material)
    return ordered


def entry(material: Material, media: MaterialMedia | None) -> dict[str, Any]:
    """The attachment for one material; `media` must be fresh when the kind needs it."""
    msgtype = MSGTYPE[material.kind]
    content = material.content
    if material.kind == "link":
        picurl = content.get("picurl") or (media.url if media else None)
        body: dict[str, Any] = {"title": material.title, "url": content["url"]}
        if picurl:
            body["picurl"] = picurl
        if content.get("desc"):
            body["desc"] = content["desc"]
        return {"msgtype": "link", "link": body}
    if media is None or not media.media_id:
        raise refuse(material.id, "has no file uploaded to WeCom", material.title)
    if material.kind == "miniprogram":
        body = {
            "title": material.title,
            "pic_media_id": media.media_id,
            "appid": content["appid"],
            "page": content["page"],
        }
        return {"msgtype": "miniprogram", "miniprogram": body}
    return {"msgtype": msgtype, msgtype: {"media_id": media.media_id}}
