"""Reconciliation with WeCom: resumable full syncs, deletion detection and drift checks."""
