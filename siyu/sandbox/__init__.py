"""A WeCom server simulator that speaks the real wire protocol (see docs/sandbox.md).

State lives in plain Python structures guarded by one lock; the ASGI app in `app.py` serves
WeCom's /cgi-bin/ surface plus a /sandbox/ control API; `callbacks.py` posts encrypted events.
"""
