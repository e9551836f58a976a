"""Media: temporary uploads (media/upload, 3 days) and permanent images (media/uploadimg).

Bodies are multipart/form-data with the file in the `media` field, as WeCom takes them; the app
hands the parsed parts to these handlers as `UploadedPart` values. Limits follow WeCom's media
documentation: image ≤10 MB (jpg/png), voice ≤2 MB (amr), video ≤10 MB (mp4), file ≤20 MB,
uploadimg ≤2 MB (jpg/png). Attachments that name a media id are checked here too
(`check_media`): an unknown or expired id is 40007, as WeCom answers it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from siyu.sandbox.models import Media
from siyu.sandbox.registry import Ctx, api
from siyu.wecom.errors import WeComError

MB = 1024 * 1024
MEDIA_TTL = 3 * 86400
# type → (largest size, errcode for too large, accepted file extensions or None for any)
MEDIA_LIMITS: dict[str, tuple[int, int, frozenset[str] | None]] = {
    "image": (10 * MB, 40009, frozenset({"jpg", "jpeg", "png"})),
    "voice": (2 * MB, 40006, frozenset({"amr"})),
    "video": (10 * MB, 40011, frozenset({"mp4"})),
    "file": (20 * MB, 40006, None),
}
UPLOADIMG_MAX = 2 * MB
MIN_SIZE = 5  # WeCom: "文件大小应大于5个字节"


@dataclass(frozen=True, slots=True)
class UploadedPart:
    filename: str
    content_type: str
    data: bytes


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """The fields of a multipart/form-data body: files as `UploadedPart`, others as text."""
    boundary = ""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise WeComError(40058, "multipart boundary missing")
    fields: dict[str, Any] = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise WeComError(40058, "malformed multipart body")
        headers = _part_headers(head.decode("utf-8", "replace"))
        disposition = headers.get("content-disposition", {})
        name = disposition.get("name", "")
        if not name:
            continue
        data = data.removesuffix(b"\r\n")
        if "filename" in disposition:
            content = headers.get("content-type", {}).get("") or "application/octet-stream"
            fields[name] = UploadedPart(disposition["filename"], content, data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields


def _part_headers(head: str) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {}
    for line in head.split("\r\n"):
        key, _, value = line.partition(":")
        parts = [p.strip() for p in value.split(";")]
        params = {"": parts[0]}
        for part in parts[1:]:
            k, _, v = part.partition("=")
            params[k.strip().lower()] = v.strip().strip('"')
        headers[key.strip().lower()] = params
    return headers


def _file_of(ctx: Ctx) -> UploadedPart:
    part = ctx.params.data.get("media")
    if not isinstance(part, UploadedPart) or not part.data:
        raise WeComError(41005)
    return part


def _extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


@api("media/upload")
def upload(ctx: Ctx) -> dict[str, Any]:
    media_type = ctx.query.str("type", required=True, missing=40004)
    if media_type not in MEDIA_LIMITS:
        raise WeComError(40004)
    part = _file_of(ctx)
    largest, too_large, extensions = MEDIA_LIMITS[media_type]
    if extensions is not None and _extension(part.filename) not in extensions:
        raise WeComError(40005, f"{media_type} must be {'/'.join(sorted(extensions))}")
    if len(part.data) < MIN_SIZE or len(part.data) > largest:
        raise WeComError(too_large)
    media_id = ctx.state.new_id("3", 64)
    ctx.corp.media[media_id] = Media(
        media_id, media_type, part.filename, len(part.data), ctx.now, ctx.now + MEDIA_TTL
    )
    return {"type": media_type, "media_id": media_id, "created_at": str(ctx.now)}


@api("media/uploadimg")
def uploadimg(ctx: Ctx) -> dict[str, Any]:
    part = _file_of(ctx)
    if _extension(part.filename) not in ("jpg", "jpeg", "png"):
        raise WeComError(40005, "image must be jpg/png")
    if len(part.data) < MIN_SIZE or len(part.data) > UPLOADIMG_MAX:
        raise WeComError(40009)
    digest = hashlib.sha256(part.data).hexdigest()[:40]
    url = f"https://wework.qpic.cn/wwpic/{digest}/0"
    ctx.corp.images[url] = len(part.data)
    return {"url": url}


# Which field of an attachment names a media id, and the media type it must have.
_MEDIA_FIELDS = {
    "image": ("media_id", "image"),
    "video": ("media_id", "video"),
    "file": ("media_id", "file"),
    "miniprogram": ("pic_media_id", "image"),
}


def check_media(ctx: Ctx, attachment: dict[str, Any]) -> None:
    """40007 unless the attachment's media id was uploaded, is of the right type and has not
    expired; an image may give `pic_url` (from uploadimg) instead."""
    msgtype = attachment["msgtype"]
    if msgtype not in _MEDIA_FIELDS:
        return
    body = attachment[msgtype]
    field, wanted = _MEDIA_FIELDS[msgtype]
    if msgtype == "image" and not body.get("media_id") and body.get("pic_url"):
        return
    media = ctx.corp.media.get(str(body.get(field) or ""))
    if media is None or media.type != wanted or media.expires_at <= ctx.now:
        raise WeComError(40007, f"invalid media_id in {msgtype}.{field}")
