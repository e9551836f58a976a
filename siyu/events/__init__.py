"""Domain events: facts other capabilities consume (journeys, webhooks, timelines, analytics)."""
