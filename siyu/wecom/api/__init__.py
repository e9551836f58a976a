"""Typed WeCom methods, one mixin per area; `WeComClient` combines them."""
