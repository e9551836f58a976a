"""The WeCom media cache: which materials need an upload, the uploads, and the cache rows.

A temporary media id lives 3 days (WeCom media/upload). Expiry is reckoned from Siyu's clock
when the upload started (never later than WeCom's own `created_at`), so a cached id is never
trusted past its real end. Link covers go to media/uploadimg instead: a permanent URL.

Uploading is a network call of up to 20 MB, so `plan` (read), `upload` (WeCom, no database)
and `save` (write) are separate steps: the refresh job runs them with the write transaction
opened only for the last one (SQLite has one writer at a time).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.orm import Session

from siyu.materials.files import read_file, wecom_file_name
from siyu.materials.models import Material, MaterialFile, MaterialMedia
from siyu.materials.repository import material_repository as repo
from siyu.wecom.api.media import MEDIA_TTL_SECONDS, MediaType
from siyu.wecom.client import WeComClient

log = structlog.get_logger("siyu.materials")

MEDIA_TTL = timedelta(seconds=MEDIA_TTL_SECONDS)
# The refresh job renews media ids of materials in use this long before they expire.
REFRESH_WINDOW = timedelta(hours=12)
# A material stays "in use" this long after it was last ensured or attached.
KEEP_FRESH = timedelta(days=30)
# On the hot path a cached id is good if it outlives the call by this much.
HOT_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class Upload:
    """One file to send to WeCom for one material."""

    material_id: uuid.UUID
    corp_id: uuid.UUID
    title: str
    file: MaterialFile
    permanent_url: bool  # link covers: media/uploadimg


def needs_url(material: Material) -> bool:
    return material.kind == "link"


def is_fresh(
    row: MaterialMedia | None, file: MaterialFile, *, now: datetime, margin: timedelta
) -> bool:
    if row is None or row.file_sha256 != file.sha256:
        return False
    if row.url:
        return True
    return row.media_id is not None and row.expires_at is not None and row.expires_at > now + margin


def plan(
    session: Session,
    *,
    corp_id: uuid.UUID,
    material_ids: Sequence[uuid.UUID],
    now: datetime,
    margin: timedelta,
) -> list[Upload]:
    """The materials among `material_ids` with a file whose cached media is missing, stale
    (file replaced) or expiring within `margin`."""
    materials = repo.of_corp(session, corp_id, material_ids)
    files = repo.files(session, [m.file_id for m in materials.values() if m.file_id])
    cache = repo.media(session, list(materials))
    uploads = []
    for material in materials.values():
        file = files.get(material.file_id) if material.file_id else None
        if file is None or (material.kind == "link" and material.content.get("picurl")):
            continue
        if not is_fresh(cache.get(material.id), file, now=now, margin=margin):
            uploads.append(Upload(material.id, corp_id, material.title, file, needs_url(material)))
    return uploads


def upload(
    client: WeComClient, uploads: Sequence[Upload], *, root: Path, now: datetime
) -> list[dict[str, Any]]:
    """Send each file to WeCom; returns the cache rows to save. Raises the first failure
    (callers decide whether one bad file stops the others)."""
    rows = []
    for item in uploads:
        data = read_file(root, item.file.storage_key)
        name = wecom_file_name(item.file.file_name, item.file.content_type)
        row: dict[str, Any] = {
            "material_id": item.material_id,
            "corp_id": item.corp_id,
            "file_sha256": item.file.sha256,
            "media_type": item.file.media_type,
            "uploaded_at": now,
            "keep_fresh_until": None,
        }
        if item.permanent_url:
            image = client.upload_image(
                filename=name, content=data, content_type=item.file.content_type
            )
            row |= {"media_id": None, "url": image.url, "expires_at": None}
        else:
            media_type: MediaType = item.file.media_type  # type: ignore[assignment]
            media = client.upload_media(
                type=media_type, filename=name, content=data, content_type=item.file.content_type
            )
            row |= {"media_id": media.media_id, "url": None, "expires_at": now + MEDIA_TTL}
        rows.append(row)
        log.info("material_media_uploaded", material_id=str(item.material_id), size=item.file.size)
    return rows


def save(
    session: Session, rows: Sequence[dict[str, Any]], *, keep_fresh_until: datetime | None
) -> None:
    if keep_fresh_until is not None:
        rows = [r | {"keep_fresh_until": keep_fresh_until} for r in rows]
    repo.save_media(session, rows)
