"""The staff directory (WeCom members and departments): the first data-scoped resource."""
