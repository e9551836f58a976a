"""The WeCom adapter: wire-level pieces shared by Siyu's gateway and the sandbox.

`crypto` (WXBizMsgCrypt), `events` (typed customer-contact callback events) and `errors`
(the errcode table) have no dependency on Siyu's database, so the sandbox can use them too.
"""
