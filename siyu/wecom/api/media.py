"""Temporary media (media/upload) and permanent images (media/uploadimg).

WeCom's media APIs take the file as multipart/form-data (field `media`, with filename and
content type) instead of JSON. A temporary media id is valid for 3 days after `created_at`;
an uploadimg URL never expires. Sizes WeCom accepts: image ≤10 MB (jpg/png), voice ≤2 MB
(amr), video ≤10 MB (mp4), file ≤20 MB; uploadimg ≤2 MB (jpg/png).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from siyu.wecom.schemas import Result

MediaType = Literal["image", "voice", "video", "file"]
# Seconds a temporary media id stays valid (WeCom: "3天内有效").
MEDIA_TTL_SECONDS = 3 * 86400


class MediaUploaded(Result):
    type: str = ""
    media_id: str
    # WeCom answers the Unix time as a string ("1380000000").
    created_at: int


class ImageUploaded(Result):
    url: str


class MediaApi:
    def call(
        self,
        api: str,
        *,
        method: str = "POST",
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def _upload(self, api: str, model: type[BaseModel], params: dict[str, Any], **file: Any) -> Any:
        files = {"media": (file["filename"], file["content"], file["content_type"])}
        return model.model_validate(self.call(api, params=params, files=files))

    def upload_media(
        self,
        *,
        type: MediaType,
        filename: str,
        content: bytes,
        content_type: str,  # noqa: A002
    ) -> MediaUploaded:
        """A temporary media id (3 days) for attachments: image, video, file, voice."""
        answer: MediaUploaded = self._upload(
            "media/upload",
            MediaUploaded,
            {"type": type},
            filename=filename,
            content=content,
            content_type=content_type,
        )
        return answer

    def upload_image(self, *, filename: str, content: bytes, content_type: str) -> ImageUploaded:
        """A permanent image URL (for link covers, `picurl`)."""
        answer: ImageUploaded = self._upload(
            "media/uploadimg",
            ImageUploaded,
            {},
            filename=filename,
            content=content,
            content_type=content_type,
        )
        return answer
