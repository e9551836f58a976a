"""Acquisition's part of the add callbacks, hooked into the customers' add handlers."""

from __future__ import annotations

from siyu.acquisition.effects import after_add
from siyu.acquisition.welcome import send_welcome, send_welcomes_urgently
from siyu.customers.hooks import AddHook, register_add_hook

register_add_hook(
    AddHook("acquisition", before=send_welcome, before_many=send_welcomes_urgently, after=after_add)
)
