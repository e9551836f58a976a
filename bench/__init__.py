"""Benchmarks: one module per measured target, each printing JSON lines (see _common.emit)."""
