"""Media uploads (media/upload, media/uploadimg) and media ids in attachments."""

from __future__ import annotations

from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from tests.sandbox.helpers import START, WeCom, assert_errcode

MB = 1024 * 1024


def _welcome_code(wecom: WeCom) -> str:
    return str(wecom.action("add_customer", userid="alice")["welcome_code"])


class TestUpload:
    def test_answers_type_media_id_and_created_at(self, wecom: WeCom, corp: Corp) -> None:
        result = wecom.upload("media/upload", b"%PDF-1.4 x", filename="价目表.pdf", type="file")
        assert result["errcode"] == 0 and result["type"] == "file"
        assert result["created_at"] == str(START)
        media = corp.media[result["media_id"]]
        assert (media.filename, media.size, media.expires_at) == (
            "价目表.pdf",
            10,
            START + 3 * 86400,
        )

    def test_bad_type_missing_file_and_wrong_format(self, wecom: WeCom) -> None:
        png = b"\x89PNG-data"
        assert_errcode(wecom.upload("media/upload", png, filename="a.png", type="gif"), 40004)
        assert_errcode(wecom.upload("media/upload", png, filename="a.png"), 40004)
        assert_errcode(wecom.upload("media/upload", png, filename="a.gif", type="image"), 40005)
        assert_errcode(wecom.upload("media/upload", png, filename="a.mov", type="video"), 40005)
        assert_errcode(wecom.upload("media/upload", b"", filename="a.png", type="image"), 41005)

    def test_size_limits(self, wecom: WeCom) -> None:
        cases = [
            ("image", "a.jpg", 10, 40009),
            ("video", "a.mp4", 10, 40011),
            ("file", "a", 20, 40006),
        ]
        for media_type, name, megabytes, errcode in cases:
            fits = b"x" * (megabytes * MB)
            assert (
                wecom.upload("media/upload", fits, filename=name, type=media_type)["errcode"] == 0
            )
            too_big = fits + b"x"
            result = wecom.upload("media/upload", too_big, filename=name, type=media_type)
            assert_errcode(result, errcode)

    def test_uploadimg_gives_a_permanent_url(self, wecom: WeCom) -> None:
        result = wecom.upload("media/uploadimg", b"\x89PNG-cover", filename="cover.png")
        assert result["errcode"] == 0 and result["url"].startswith("https://wework.qpic.cn/")
        big = b"x" * (2 * MB + 1)
        assert_errcode(wecom.upload("media/uploadimg", big, filename="c.png"), 40009)


class TestMediaInAttachments:
    def test_welcome_takes_known_media_and_refuses_unknown_or_expired(
        self, wecom: WeCom, state: SandboxState
    ) -> None:
        image = wecom.media_id()
        body = {"welcome_code": _welcome_code(wecom)}
        unknown = [{"msgtype": "image", "image": {"media_id": "nope"}}]
        assert_errcode(
            wecom.post("externalcontact/send_welcome_msg", body | {"attachments": unknown}), 40007
        )
        mine = [{"msgtype": "image", "image": {"media_id": image}}]
        wecom.ok("externalcontact/send_welcome_msg", body | {"attachments": mine})
        state.clock.advance(3 * 86400)
        late = {"welcome_code": _welcome_code(wecom), "attachments": mine}
        assert_errcode(wecom.post("externalcontact/send_welcome_msg", late), 40007)

    def test_media_type_must_match_the_attachment(self, wecom: WeCom) -> None:
        video = wecom.media_id("video", "a.mp4")
        as_file = [{"msgtype": "file", "file": {"media_id": video}}]
        body = {"text": {"content": "hi"}, "sender": "alice", "attachments": as_file}
        assert_errcode(wecom.post("externalcontact/add_msg_template", body), 40007)
        mini = {"title": "店", "appid": "wx123", "page": "pages/a.html", "pic_media_id": video}
        attachments = [{"msgtype": "miniprogram", "miniprogram": mini}]
        code = _welcome_code(wecom)
        result = wecom.post(
            "externalcontact/send_welcome_msg", {"welcome_code": code, "attachments": attachments}
        )
        assert_errcode(result, 40007)

    def test_image_by_pic_url_needs_no_media(self, wecom: WeCom) -> None:
        url = wecom.upload("media/uploadimg", b"\x89PNG-cover", filename="c.png")["url"]
        attachments = [{"msgtype": "image", "image": {"pic_url": url}}]
        wecom.ok(
            "externalcontact/send_welcome_msg",
            {"welcome_code": _welcome_code(wecom), "attachments": attachments},
        )

    def test_moments_check_media_too(self, wecom: WeCom) -> None:
        body = {"attachments": [{"msgtype": "video", "video": {"media_id": "gone"}}]}
        assert_errcode(wecom.post("externalcontact/add_moment_task", body), 40007)
