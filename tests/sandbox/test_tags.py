"""Corp tags (API-FACTS §4.2)."""

from __future__ import annotations

from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from tests.sandbox.helpers import WeCom, assert_errcode


def add_group(
    wecom: WeCom, name: str = "等级", tags: tuple[str, ...] = ("金卡", "银卡")
) -> dict[str, object]:
    group: dict[str, object] = wecom.ok(
        "externalcontact/add_corp_tag", {"group_name": name, "tag": [{"name": t} for t in tags]}
    )["tag_group"]
    return group


class TestAddCorpTag:
    def test_creates_a_group_with_tags(self, wecom: WeCom) -> None:
        group = add_group(wecom)
        assert set(group) == {"group_id", "group_name", "create_time", "order", "tag"}
        assert [t["name"] for t in group["tag"]] == ["金卡", "银卡"]  # type: ignore[index, union-attr]

    def test_adds_to_an_existing_group_by_name_or_id(self, wecom: WeCom) -> None:
        group = add_group(wecom)
        again = wecom.ok(
            "externalcontact/add_corp_tag", {"group_name": "等级", "tag": [{"name": "钻石"}]}
        )["tag_group"]
        assert again["group_id"] == group["group_id"]
        by_id = wecom.ok(
            "externalcontact/add_corp_tag",
            {"group_id": group["group_id"], "tag": [{"name": "铜卡"}]},
        )
        assert by_id["tag_group"]["group_id"] == group["group_id"]

    def test_name_rules(self, wecom: WeCom) -> None:
        add_group(wecom)
        assert_errcode(
            wecom.post(
                "externalcontact/add_corp_tag", {"group_name": "等级", "tag": [{"name": "金卡"}]}
            ),
            40071,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/add_corp_tag", {"group_name": "x", "tag": [{"name": "字" * 31}]}
            ),
            40071,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/add_corp_tag", {"group_name": "字" * 31, "tag": [{"name": "a"}]}
            ),
            40071,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/add_corp_tag", {"group_id": "etnope", "tag": [{"name": "a"}]}
            ),
            40068,
        )
        assert_errcode(wecom.post("externalcontact/add_corp_tag", {"tag": [{"name": "a"}]}), 40058)

    def test_3000_tag_cap(self, wecom: WeCom, state: SandboxState) -> None:
        state.rules.corp_tag_cap = 3
        add_group(wecom)
        wecom.ok("externalcontact/add_corp_tag", {"group_name": "b", "tag": [{"name": "x"}]})
        assert_errcode(
            wecom.post("externalcontact/add_corp_tag", {"group_name": "b", "tag": [{"name": "y"}]}),
            40126,
        )


class TestGetCorpTagList:
    def test_all_by_tag_and_by_group(self, wecom: WeCom) -> None:
        group = add_group(wecom)
        other = add_group(wecom, "渠道", ("直播",))
        assert len(wecom.ok("externalcontact/get_corp_tag_list")["tag_group"]) == 2
        tag_id = other["tag"][0]["id"]  # type: ignore[index]
        by_tag = wecom.ok("externalcontact/get_corp_tag_list", {"tag_id": [tag_id]})["tag_group"]
        assert [g["group_id"] for g in by_tag] == [other["group_id"]] and by_tag[0]["tag"][0][
            "deleted"
        ] is False
        both = wecom.ok(
            "externalcontact/get_corp_tag_list",
            {"tag_id": [tag_id], "group_id": [group["group_id"]]},
        )
        assert [g["group_id"] for g in both["tag_group"]] == [group["group_id"]]  # group_id wins


class TestEditAndDelete:
    def test_edit_tag_and_group(self, wecom: WeCom, corp: Corp) -> None:
        group = add_group(wecom)
        tag_id = group["tag"][0]["id"]  # type: ignore[index]
        wecom.ok("externalcontact/edit_corp_tag", {"id": tag_id, "name": "白金", "order": 5})
        wecom.ok("externalcontact/edit_corp_tag", {"id": group["group_id"], "name": "会员等级"})
        assert corp.tags[tag_id].name == "白金" and corp.tags[tag_id].order == 5
        assert corp.tag_groups[group["group_id"]].group_name == "会员等级"  # type: ignore[index]
        assert_errcode(
            wecom.post("externalcontact/edit_corp_tag", {"id": tag_id, "name": "银卡"}), 40071
        )
        assert_errcode(
            wecom.post("externalcontact/edit_corp_tag", {"id": "etnope", "name": "x"}), 40068
        )

    def test_deleting_every_tag_deletes_the_group_and_unmarks_customers(
        self, wecom: WeCom, corp: Corp
    ) -> None:
        group = add_group(wecom, tags=("金卡",))
        tag_id = group["tag"][0]["id"]  # type: ignore[index]
        ext = wecom.action("add_customer", userid="alice")["external_userid"]
        wecom.ok(
            "externalcontact/mark_tag",
            {"userid": "alice", "external_userid": ext, "add_tag": [tag_id]},
        )
        wecom.ok("externalcontact/del_corp_tag", {"tag_id": [tag_id]})
        assert corp.tag_groups == {} and corp.customers[ext].follows["alice"].tags == []
        assert_errcode(wecom.post("externalcontact/del_corp_tag", {}), 40058)
        assert_errcode(wecom.post("externalcontact/del_corp_tag", {"tag_id": [tag_id]}), 40068)


class TestMarkTag:
    def test_add_and_remove(self, wecom: WeCom) -> None:
        group = add_group(wecom)
        gold, silver = (t["id"] for t in group["tag"])  # type: ignore[union-attr, attr-defined]
        ext = wecom.action("add_customer", userid="alice")["external_userid"]
        wecom.ok(
            "externalcontact/mark_tag",
            {"userid": "alice", "external_userid": ext, "add_tag": [gold, silver]},
        )
        wecom.ok(
            "externalcontact/mark_tag",
            {"userid": "alice", "external_userid": ext, "remove_tag": [gold]},
        )
        detail = wecom.ok("externalcontact/get", {"external_userid": ext}, method="GET")
        assert [t["tag_id"] for t in detail["follow_user"][0]["tags"]] == [silver]
        assert detail["follow_user"][0]["tags"][0] == {
            "group_name": "等级",
            "tag_name": "银卡",
            "tag_id": silver,
            "type": 1,
        }

    def test_errors(self, wecom: WeCom) -> None:
        ext = wecom.action("add_customer", userid="alice")["external_userid"]
        assert_errcode(
            wecom.post("externalcontact/mark_tag", {"userid": "alice", "external_userid": ext}),
            40058,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/mark_tag",
                {"userid": "alice", "external_userid": ext, "add_tag": ["etnope"]},
            ),
            40068,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/mark_tag",
                {"userid": "bob", "external_userid": ext, "add_tag": ["x"]},
            ),
            84061,
        )
