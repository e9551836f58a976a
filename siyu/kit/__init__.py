"""Small shared building blocks: clock, ids, errors, pagination."""
