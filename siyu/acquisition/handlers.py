"""Acquisition's part of the add callbacks, hooked into the customers' add handlers."""

from __future__ import annotations

from siyu.acquisition.effects import after_add
from siyu.acquisition.welcome import send_welcome
from siyu.customers.hooks import AddHook, register_add_hook

register_add_hook(AddHook("acquisition", before=send_welcome, after=after_add))
