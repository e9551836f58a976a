"""Organisation and customer endpoints (API-FACTS §4.1, §4.9)."""

from __future__ import annotations

from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world
from tests.sandbox.helpers import START, WeCom, assert_errcode


def add(wecom: WeCom, userid: str = "alice", **extra: object) -> str:
    external_userid: str = wecom.action("add_customer", userid=userid, **extra)["external_userid"]
    return external_userid


class TestOrganisation:
    def test_user_get(self, wecom: WeCom) -> None:
        user = wecom.ok("user/get", {"userid": "alice"}, method="GET")
        for key in (
            "userid",
            "name",
            "department",
            "position",
            "mobile",
            "gender",
            "email",
            "avatar",
            "status",
            "main_department",
        ):
            assert key in user
        assert_errcode(wecom.get("user/get", userid="ghost"), 60111)

    def test_user_list_and_department_list(self, wecom: WeCom, corp: Corp) -> None:
        departments = wecom.ok("department/list", method="GET")["department"]
        assert {d["id"] for d in departments} == set(corp.departments)
        assert set(departments[0]) >= {
            "id",
            "name",
            "name_en",
            "department_leader",
            "parentid",
            "order",
        }
        users = wecom.ok("user/list", {"department_id": 1, "fetch_child": 1}, method="GET")[
            "userlist"
        ]
        assert {u["userid"] for u in users} == {"alice", "bob", "carol"}
        assert_errcode(wecom.get("user/list", department_id=999), 60123)
        simple = wecom.ok("user/simplelist", {"department_id": 1, "fetch_child": 1}, method="GET")[
            "userlist"
        ]
        assert all(set(u) == {"userid", "name", "department"} for u in simple) and len(simple) == 3

    def test_message_send(self, wecom: WeCom, corp: Corp) -> None:
        body = {
            "touser": "alice|ghost",
            "msgtype": "text",
            "agentid": corp.agentid,
            "text": {"content": "hi"},
        }
        result = wecom.ok("message/send", body)
        assert result["invaliduser"] == "ghost" and result["msgid"]
        assert_errcode(wecom.post("message/send", body | {"agentid": 1}), 40056)
        assert_errcode(wecom.post("message/send", body | {"msgtype": "nope"}), 40008)
        assert_errcode(wecom.post("message/send", body | {"text": {"content": "字" * 700}}), 40058)


class TestFollowUsersAndList:
    def test_follow_user_list_excludes_staff_without_permission(
        self, wecom: WeCom, corp: Corp
    ) -> None:
        corp.staff["carol"].can_follow = False
        assert wecom.ok("externalcontact/get_follow_user_list", method="GET")["follow_user"] == [
            "alice",
            "bob",
        ]
        assert_errcode(wecom.get("externalcontact/list", userid="carol"), 84074)

    def test_list(self, wecom: WeCom) -> None:
        ids = [add(wecom) for _ in range(3)]
        assert (
            wecom.ok("externalcontact/list", {"userid": "alice"}, method="GET")["external_userid"]
            == ids
        )
        assert_errcode(wecom.get("externalcontact/list"), 40003)


class TestGet:
    def test_shape(self, wecom: WeCom) -> None:
        ext = add(wecom, state="poster")
        wecom.action("add_customer", userid="bob", external_userid=ext)
        result = wecom.ok("externalcontact/get", {"external_userid": ext}, method="GET")
        contact = result["external_contact"]
        assert set(contact) >= {"external_userid", "name", "type", "avatar", "gender", "unionid"}
        assert contact["type"] == 1
        follow = result["follow_user"][0]
        assert set(follow) >= {
            "userid",
            "remark",
            "description",
            "createtime",
            "tags",
            "remark_corp_name",
            "remark_mobiles",
            "oper_userid",
            "add_way",
        }
        assert follow["state"] == "poster" and follow["createtime"] == START
        assert [f["userid"] for f in result["follow_user"]] == ["alice", "bob"]
        assert result["next_cursor"] == ""

    def test_errors(self, wecom: WeCom) -> None:
        assert_errcode(wecom.get("externalcontact/get"), 41035)
        assert_errcode(wecom.get("externalcontact/get", external_userid="wmnope"), 40096)
        ext = add(wecom)
        wecom.action("staff_deletes_customer", userid="alice", external_userid=ext)
        assert_errcode(wecom.get("externalcontact/get", external_userid=ext), 84061)

    def test_customer_deleting_staff_is_one_way(self, wecom: WeCom) -> None:
        ext = add(wecom)
        wecom.action("customer_deletes_staff", userid="alice", external_userid=ext)
        assert (
            wecom.ok("externalcontact/get", {"external_userid": ext}, method="GET")["follow_user"][
                0
            ]["userid"]
            == "alice"
        )


class TestBatchGetByUser:
    def test_walks_every_relation_once_across_users(
        self, wecom: WeCom, state: SandboxState, corp: Corp
    ) -> None:
        generate_world(state, corp, customers=230, staff=0, groups=0)
        expected = {
            (f.userid, f.external_userid)
            for c in corp.customers.values()
            for f in c.follows.values()
            if f.userid in ("alice", "bob")
        }
        seen: list[tuple[str, str]] = []
        cursor = ""
        while True:
            page = wecom.ok(
                "externalcontact/batch/get_by_user",
                {"userid_list": ["alice", "bob"], "cursor": cursor, "limit": 100},
            )
            assert len(page["external_contact_list"]) <= 100
            for item in page["external_contact_list"]:
                assert set(item) == {"external_contact", "follow_info"}
                assert "tag_id" in item["follow_info"]
                seen.append(
                    (item["follow_info"]["userid"], item["external_contact"]["external_userid"])
                )
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) and set(seen) == expected

    def test_default_and_maximum_limit(self, wecom: WeCom, state: SandboxState, corp: Corp) -> None:
        generate_world(state, corp, customers=400, staff=0, groups=0, second_follow_rate=0)
        assert (
            len(
                wecom.ok("externalcontact/batch/get_by_user", {"userid_list": ["alice"]})[
                    "external_contact_list"
                ]
            )
            == 50
        )
        assert (
            len(
                wecom.ok(
                    "externalcontact/batch/get_by_user", {"userid_list": ["alice"], "limit": 1000}
                )["external_contact_list"]
            )
            == 100
        )

    def test_legacy_userid_field(self, wecom: WeCom) -> None:
        add(wecom)
        assert (
            len(
                wecom.ok("externalcontact/batch/get_by_user", {"userid": "alice"})[
                    "external_contact_list"
                ]
            )
            == 1
        )

    def test_removed_and_re_added_relations_appear_once(self, wecom: WeCom) -> None:
        ext, other = add(wecom), add(wecom)
        wecom.action("staff_deletes_customer", userid="alice", external_userid=ext)
        wecom.action("add_customer", userid="alice", external_userid=ext)
        items = wecom.ok("externalcontact/batch/get_by_user", {"userid_list": ["alice"]})[
            "external_contact_list"
        ]
        assert [i["external_contact"]["external_userid"] for i in items] == [other, ext]

    def test_errors(self, wecom: WeCom) -> None:
        assert_errcode(wecom.post("externalcontact/batch/get_by_user", {}), 40058)
        assert_errcode(
            wecom.post("externalcontact/batch/get_by_user", {"userid_list": ["u"] * 101}), 40058
        )
        assert_errcode(
            wecom.post("externalcontact/batch/get_by_user", {"userid_list": ["ghost"]}), 60111
        )
        assert_errcode(
            wecom.post(
                "externalcontact/batch/get_by_user", {"userid_list": ["alice"], "cursor": "%%%"}
            ),
            40058,
        )


class TestRemark:
    def test_updates_only_given_fields(self, wecom: WeCom, corp: Corp) -> None:
        ext = add(wecom)
        wecom.ok(
            "externalcontact/remark",
            {
                "userid": "alice",
                "external_userid": ext,
                "remark": "老客户",
                "remark_mobiles": ["13800000000"],
            },
        )
        wecom.ok(
            "externalcontact/remark",
            {"userid": "alice", "external_userid": ext, "description": "喜欢红色"},
        )
        follow = corp.customers[ext].follows["alice"]
        assert (follow.remark, follow.description, follow.remark_mobiles) == (
            "老客户",
            "喜欢红色",
            ["13800000000"],
        )

    def test_limits_and_relations(self, wecom: WeCom) -> None:
        ext = add(wecom)
        base = {"userid": "alice", "external_userid": ext}
        assert_errcode(wecom.post("externalcontact/remark", base | {"remark": "字" * 21}), 40058)
        assert_errcode(
            wecom.post("externalcontact/remark", base | {"description": "字" * 151}), 40058
        )
        assert_errcode(
            wecom.post("externalcontact/remark", base | {"remark_company": "字" * 21}), 40058
        )
        assert_errcode(
            wecom.post("externalcontact/remark", {"userid": "bob", "external_userid": ext}), 84061
        )
        assert_errcode(wecom.post("externalcontact/remark", {"userid": "alice"}), 41035)


class TestUnionid:
    def test_maps_a_unionid_to_the_external_userid(self, wecom: WeCom, corp: Corp) -> None:
        ext = add(wecom)
        unionid = corp.customers[ext].unionid
        assert (
            wecom.ok(
                "externalcontact/unionid_to_external_userid", {"unionid": unionid, "openid": "o1"}
            )["external_userid"]
            == ext
        )
        assert_errcode(
            wecom.post(
                "externalcontact/unionid_to_external_userid", {"unionid": "nope", "openid": "o1"}
            ),
            610014,
        )
        assert_errcode(
            wecom.post("externalcontact/unionid_to_external_userid", {"openid": "o1"}), 40058
        )


class TestBehaviorData:
    def test_counts_new_contacts_per_day(self, wecom: WeCom) -> None:
        add(wecom)
        add(wecom)
        body = {"userid": ["alice"], "start_time": START - 86400, "end_time": START}
        rows = wecom.ok("externalcontact/get_user_behavior_data", body)["behavior_data"]
        assert len(rows) == 2 and [r["new_contact_cnt"] for r in rows] == [0, 2]
        assert set(rows[1]) >= {
            "stat_time",
            "chat_cnt",
            "message_cnt",
            "negative_feedback_cnt",
            "new_apply_cnt",
            "new_contact_cnt",
        }

    def test_rejects_empty_selectors_and_long_spans(self, wecom: WeCom) -> None:
        assert_errcode(
            wecom.post(
                "externalcontact/get_user_behavior_data", {"start_time": START, "end_time": START}
            ),
            40058,
        )
        body = {"userid": ["alice"], "start_time": START - 31 * 86400, "end_time": START}
        assert_errcode(wecom.post("externalcontact/get_user_behavior_data", body), 40058)
