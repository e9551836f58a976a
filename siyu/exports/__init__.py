"""Exports: large reads written to files by a worker, audited and scoped like the reads they are."""
