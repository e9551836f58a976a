"""People and access: console users, corp memberships, sessions, API keys, data scopes."""
