"""Mass messages (群发) to customers and groups: quotas, planning, sending, tracking, reports."""
