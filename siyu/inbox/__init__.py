"""The callback inbox: verified WeCom callbacks stored once, then handled by workers."""
