"""Bulk tagging: add or remove tags on a selection or a segment, as a resumable job."""
