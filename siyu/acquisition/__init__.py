"""Channel live codes (渠道活码), the welcome path and staff capacity (PLAYBOOK §1)."""
