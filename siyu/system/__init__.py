"""Health, metrics and version endpoints."""
