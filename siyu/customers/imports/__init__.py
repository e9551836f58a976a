"""Customer import from xlsx and CSV: parse, validate row by row, report, then resolve the good
rows into persons through `siyu.identity` (dry run, all-or-nothing or skip-bad-rows)."""
