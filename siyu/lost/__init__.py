"""Lost customers (流失): who deleted whom and when, daily lists, alerts by app message."""
