"""The WeCom client against the sandbox over real HTTP: typed answers, errors, retries."""

from __future__ import annotations

import pytest

from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from siyu.wecom.client import (
    ConcurrencyLimitError,
    RateLimitedError,
    SystemBusyError,
    WeComApiError,
    WeComTransportError,
)
from tests.wecom.conftest import Gauge, MakeClient, Sleeper


class TestTypedMethods:
    def test_organisation(self, make_client: MakeClient, sandbox_corp: Corp) -> None:
        wecom = make_client()
        departments = wecom.department_list()
        assert {d.id for d in departments.department} == set(sandbox_corp.departments)
        userid = next(iter(sandbox_corp.staff))
        assert wecom.user_get(userid=userid).userid == userid
        listed = wecom.user_list(department_id=1, fetch_child=True)
        assert {u.userid for u in listed.userlist} == set(sandbox_corp.staff)

    def test_every_relation_through_the_batch_iterator(
        self, make_client: MakeClient, sandbox_corp: Corp
    ) -> None:
        wecom = make_client()
        staff = wecom.get_follow_user_list().follow_user
        pairs = {
            (item.follow_info.userid, item.external_contact.external_userid)
            for item in wecom.iter_batch_get_by_user(userid_list=staff, limit=37)
        }
        per_staff = {
            (userid, external_userid)
            for userid in staff
            for external_userid in wecom.externalcontact_list(userid=userid).external_userid
        }
        assert pairs == per_staff and len(pairs) >= 600

    def test_customer_detail_and_tags(self, make_client: MakeClient) -> None:
        wecom = make_client()
        userid = wecom.get_follow_user_list().follow_user[0]
        external_userid = wecom.externalcontact_list(userid=userid).external_userid[0]
        detail = wecom.externalcontact_get(external_userid=external_userid)
        assert detail.external_contact.external_userid == external_userid
        assert userid in {f.userid for f in detail.follow_user}

        group = wecom.add_corp_tag(group_name="客户端", tag=[{"name": "甲"}, {"name": "乙"}])
        tag_ids = [t.id for t in group.tag_group.tag]
        wecom.mark_tag(userid=userid, external_userid=external_userid, add_tag=tag_ids[:1])
        again = wecom.externalcontact_get(external_userid=external_userid)
        mine = next(f for f in again.follow_user if f.userid == userid)
        assert tag_ids[0] in {t.tag_id for t in mine.tags}
        wecom.del_corp_tag(group_id=[group.tag_group.group_id])
        listed = wecom.get_corp_tag_list().tag_group
        assert group.tag_group.group_id not in {g.group_id for g in listed}

    def test_contact_ways_and_groups(self, make_client: MakeClient) -> None:
        wecom = make_client()
        userid = wecom.get_follow_user_list().follow_user[0]
        created = wecom.add_contact_way(type=1, scene=2, user=[userid], state="client")
        way = wecom.get_contact_way(config_id=created.config_id).contact_way
        assert way["state"] == "client"
        wecom.del_contact_way(config_id=created.config_id)
        chats = list(wecom.iter_groupchat_list(limit=2))
        assert len(chats) == 3
        chat = wecom.groupchat_get(chat_id=chats[0].chat_id).group_chat
        assert chat.chat_id == chats[0].chat_id and chat.member_list


class TestBusinessErrors:
    def test_raised_at_once_with_errcode_and_errmsg(
        self, make_client: MakeClient, gauge: Gauge
    ) -> None:
        wecom = make_client()
        with pytest.raises(WeComApiError) as raised:
            wecom.user_get(userid="nobody")
        assert type(raised.value) is WeComApiError
        assert raised.value.errcode == 60111 and "60111" in raised.value.errmsg
        assert raised.value.api == "user/get"
        assert gauge.count["user/get"] == 1


class TestRetries:
    @pytest.mark.parametrize(
        ("errcode", "error"), [(-1, SystemBusyError), (45033, ConcurrencyLimitError)]
    )
    def test_system_errors_retry_with_growing_jittered_backoff(
        self,
        make_client: MakeClient,
        sandbox_state: SandboxState,
        gauge: Gauge,
        sleeper: Sleeper,
        errcode: int,
        error: type[WeComApiError],
    ) -> None:
        wecom = make_client(wecom_max_attempts=4)
        wecom.department_list()  # the token first, so only the failing calls are counted
        sandbox_state.faults.configure({"api_errors": {"user/get": {"errcode": errcode}}})
        with pytest.raises(error):
            wecom.user_get(userid="nobody")
        assert gauge.count["user/get"] == 4
        assert len(sleeper.waits) == 3
        assert [0.1 <= w <= 0.2 for w in sleeper.waits[:1]] == [True]
        assert sleeper.waits[2] > sleeper.waits[0]

    def test_a_transient_fault_is_invisible_to_the_caller(
        self, make_client: MakeClient, sandbox_state: SandboxState, sandbox_corp: Corp
    ) -> None:
        wecom = make_client()
        sandbox_state.faults.configure(
            {"seed": 1, "api_errors": {"department/list": {"errcode": -1, "rate": 0.5}}}
        )
        for _ in range(10):
            assert len(wecom.department_list().department) == len(sandbox_corp.departments)

    def test_45009_waits_out_the_block_window(
        self,
        make_client: MakeClient,
        sandbox_state: SandboxState,
        gauge: Gauge,
        sleeper: Sleeper,
    ) -> None:
        wecom = make_client()
        wecom.department_list()
        sandbox_state.rules.rate_limit_per_minute = 2
        for _ in range(4):
            wecom.user_get(userid=next(iter(sandbox_state.corps["wwclienttest00001"].staff)))
        # The third call hit WeCom's limit; the client slept to the next minute, not a back-off.
        assert gauge.count["user/get"] == 5
        assert max(sleeper.waits) >= 1.0 and sum(sleeper.waits) <= 120

    def test_45009_that_outlasts_every_attempt_is_raised(
        self, make_client: MakeClient, sandbox_state: SandboxState
    ) -> None:
        wecom = make_client(wecom_max_attempts=2)
        wecom.department_list()
        sandbox_state.faults.configure({"api_errors": {"user/get": {"errcode": 45009}}})
        with pytest.raises(RateLimitedError) as raised:
            wecom.user_get(userid="x")
        assert 0 < raised.value.block_seconds <= 60

    def test_http_5xx_is_retried_then_succeeds(
        self, make_client: MakeClient, gauge: Gauge, sandbox_corp: Corp
    ) -> None:
        wecom = make_client()
        wecom.department_list()
        gauge.http_errors["department/list"] = 2
        assert len(wecom.department_list().department) == len(sandbox_corp.departments)
        assert gauge.count["department/list"] == 4

    def test_timeouts_become_a_transport_error_after_the_last_attempt(
        self, make_client: MakeClient, gauge: Gauge
    ) -> None:
        wecom = make_client(wecom_timeout_seconds=0.05, wecom_max_attempts=2)
        wecom.department_list()
        gauge.slow_rate["user/get"] = 1.0
        gauge.slow_seconds = 0.3
        with pytest.raises(WeComTransportError) as raised:
            wecom.user_get(userid="x")
        assert raised.value.errcode == -2
        assert gauge.count["user/get"] == 2
