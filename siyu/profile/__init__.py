"""Customer profile: custom fields, sales stages, follow-ups and the timeline (issue 5 §3)."""
