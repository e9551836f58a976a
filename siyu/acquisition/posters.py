"""The code's QR image and a printable poster (PNG).

WeCom answers add_contact_way with `qr_code`, the URL of its QR image: for a real corp that
image is fetched and passed on (it is the code customers must scan). The sandbox's URLs point
nowhere, so for a sandbox corp the QR is drawn here (segno) around the same URL.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import segno
from PIL import Image, ImageDraw, ImageFont

from siyu.kit.errors import Conflict, SiyuError

POSTER_SIZE = (1240, 1748)  # A6 at 300 dpi: prints sharp on a counter card
QR_SIDE = 860
_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


class QrUnavailable(SiyuError):
    status_code = 502
    code = "qr_unavailable"


def qr_png(qr_url: str | None, *, sandbox: bool) -> bytes:
    if not qr_url:
        raise Conflict("WeCom has not created this code's contact way yet; try again shortly")
    if sandbox:
        buffer = io.BytesIO()
        segno.make(qr_url, error="m").save(buffer, kind="png", scale=12, border=2)
        return buffer.getvalue()
    try:
        response = httpx.get(qr_url, timeout=10.0, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise QrUnavailable(f"WeCom's QR image could not be fetched: {exc}") from exc
    return response.content


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _centered(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill: str) -> None:
    font = _font(size)
    width = draw.textlength(text, font=font)
    draw.text(((POSTER_SIZE[0] - width) / 2, y), text, font=font, fill=fill)


def poster_png(qr: bytes, *, title: str, subtitle: str, footer: str) -> bytes:
    canvas = Image.new("RGB", POSTER_SIZE, "#ffffff")
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, POSTER_SIZE[0], 260), fill="#07c160")
    _centered(draw, 70, title[:24], 84, "#ffffff")
    _centered(draw, 300, subtitle[:30], 56, "#333333")
    code = (
        Image.open(io.BytesIO(qr))
        .convert("RGB")
        .resize((QR_SIDE, QR_SIDE), Image.Resampling.NEAREST)
    )
    canvas.paste(code, ((POSTER_SIZE[0] - QR_SIDE) // 2, 420))
    _centered(draw, 420 + QR_SIDE + 60, footer[:30], 48, "#666666")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
