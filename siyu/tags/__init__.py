"""Tags domain."""
