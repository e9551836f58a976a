"""Segments (客户分群): typed condition trees over people, compiled to SQL for both dialects."""
