"""Uploaded material files: the limits WeCom's media APIs set, checked before anything is
stored, and the files on disk (one folder per corp under `settings.materials_dir`).

Limits (WeCom media/upload): image ≤10 MB jpg/png, video ≤10 MB mp4, file ≤20 MB of any type;
a link cover goes through media/uploadimg, which takes ≤2 MB jpg/png.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from siyu.kit.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MB = 1024 * 1024
COVER_MAX_BYTES = 2 * MB  # media/uploadimg


@dataclass(frozen=True)
class MediaRule:
    max_bytes: int
    # content type → the file extension WeCom expects; None accepts any type.
    types: dict[str, str] | None


IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
MEDIA_RULES: dict[str, MediaRule] = {
    "image": MediaRule(10 * MB, IMAGE_TYPES),
    "video": MediaRule(10 * MB, {"video/mp4": "mp4"}),
    "file": MediaRule(20 * MB, None),
}


def check_upload(*, media_type: str, content_type: str, size: int, max_bytes: int) -> str:
    """The normalised content type, or a 413/415/400 that says what is wrong."""
    rule = MEDIA_RULES.get(media_type)
    if rule is None:
        raise BadRequest(f"media_type must be one of {', '.join(MEDIA_RULES)}")
    if size == 0:
        raise BadRequest("the upload is empty")
    kind = content_type.split(";")[0].strip().lower() or "application/octet-stream"
    if rule.types is not None and kind not in rule.types:
        allowed = ", ".join(rule.types)
        raise UnsupportedMediaType(f"a {media_type} must be {allowed}, not {kind}")
    limit = min(rule.max_bytes, max_bytes)
    if size > limit:
        raise PayloadTooLarge(f"a {media_type} may be at most {limit // MB} MB ({size} bytes sent)")
    return kind


def wecom_file_name(file_name: str, content_type: str) -> str:
    """The name sent to WeCom, which checks the extension of images and videos."""
    for rule in MEDIA_RULES.values():
        extension = (rule.types or {}).get(content_type)
        if extension is not None:
            stem, dot, current = file_name.rpartition(".")
            if dot and current.lower() in (extension, "jpeg" if extension == "jpg" else ""):
                return file_name
            return f"{stem or file_name}.{extension}"
    return file_name


def clean_file_name(file_name: str) -> str:
    name = os.path.basename(file_name.replace("\\", "/")).strip()
    if not name or name in (".", ".."):
        raise BadRequest("file_name is empty")
    return name[:255]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def storage_key(corp_id: uuid.UUID, file_id: uuid.UUID) -> str:
    return f"{corp_id}/{file_id}"


def write_file(root: Path, key: str, data: bytes) -> None:
    """Write to a temporary name and rename, so a reader never sees half a file."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)


def remove_file(root: Path, key: str) -> None:
    (root / key).unlink(missing_ok=True)


def read_file(root: Path, key: str) -> bytes:
    path = root / key
    if not path.is_file():
        raise BadRequest(f"the stored file {key} is missing from the materials directory")
    return path.read_bytes()


def file_path(root: Path, key: str) -> Path:
    return root / key
