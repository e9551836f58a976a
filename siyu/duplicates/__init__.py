"""Duplicates: people befriended by several staff members of one corp (issue 5 §6)."""
