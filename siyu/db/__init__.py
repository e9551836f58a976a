"""Database layer: the only package that knows which dialect it is talking to."""
