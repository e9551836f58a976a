"""WeCom's content rules for company moments (API-FACTS §4.7, §5), checked before anything is
stored so a post that WeCom would refuse is answered with a 422 naming the problem."""

from __future__ import annotations

import re
from collections.abc import Sequence

from siyu.kit.errors import Unprocessable
from siyu.moments.schemas import MomentAttachment

MAX_TEXT_CHARS = 2000
MAX_TEXT_BYTES = 4000
MAX_IMAGES = 9
MAX_SENDERS = 100_000
USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")  # WeCom userids (API-FACTS §1.2, 40003)


def check_text(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise Unprocessable(
            f"text has {len(text)} characters; WeCom allows at most {MAX_TEXT_CHARS}",
            details={"field": "text"},
        )
    size = len(text.encode())
    if size > MAX_TEXT_BYTES:
        raise Unprocessable(
            f"text is {size} bytes in UTF-8; WeCom allows at most {MAX_TEXT_BYTES}",
            details={"field": "text"},
        )


def check_attachments(attachments: Sequence[MomentAttachment]) -> None:
    """≤9 images, or one video, or one link; never mixed."""
    kinds = {a.kind for a in attachments}
    if len(kinds) > 1:
        raise Unprocessable(
            "attachments mix " + " and ".join(sorted(kinds)) + "; a moment takes images only, "
            "or one video, or one link",
            details={"field": "attachments"},
        )
    if "image" in kinds and len(attachments) > MAX_IMAGES:
        raise Unprocessable(
            f"{len(attachments)} images; a moment takes at most {MAX_IMAGES}",
            details={"field": "attachments"},
        )
    if kinds & {"video", "link"} and len(attachments) > 1:
        kind = next(iter(kinds))
        raise Unprocessable(
            f"{len(attachments)} {kind} attachments; a moment takes only one {kind}",
            details={"field": "attachments"},
        )
    for index, attachment in enumerate(attachments):
        _check_source(index, attachment)


def _check_source(index: int, a: MomentAttachment) -> None:
    where = {"field": f"attachments[{index}]"}
    if a.material_id is not None:
        return
    if a.kind == "link":
        if not a.url or not a.title:
            raise Unprocessable(
                f"attachments[{index}] is a link without a material_id: give title and url",
                details=where,
            )
        if not a.url.startswith(("http://", "https://")):
            raise Unprocessable(f"attachments[{index}].url must be http(s)", details=where)
    elif not a.media_id:
        raise Unprocessable(
            f"attachments[{index}] ({a.kind}) needs a material_id or a WeCom media_id",
            details=where,
        )


def check_senders(userids: Sequence[str]) -> list[str]:
    """Deduplicated, in order; WeCom takes at most 100,000 userids."""
    unique = list(dict.fromkeys(userids))
    if len(unique) > MAX_SENDERS:
        raise Unprocessable(
            f"{len(unique)} senders; WeCom allows at most {MAX_SENDERS:,} per moment",
            details={"field": "visibility.sender_userids"},
        )
    bad = [u for u in unique if not USERID.match(u)]
    if bad:
        raise Unprocessable(
            f"not WeCom userids: {', '.join(bad[:5])}",
            details={"field": "visibility.sender_userids", "invalid": bad[:50]},
        )
    return unique


def check_not_empty(text: str, attachments: Sequence[MomentAttachment]) -> None:
    if not text.strip() and not attachments:
        raise Unprocessable("a moment needs text or at least one attachment", details={})
