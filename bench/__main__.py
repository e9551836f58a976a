"""`python -m bench`: run every benchmark module in turn (each prints JSON lines)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    failed = []
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not info.name.startswith("_")
    )
    only = set(sys.argv[1:])
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        try:
            module.main()
        except Exception as exc:  # keep running the others; report at the end
            print(f'{{"bench": "{name}", "error": "{type(exc).__name__}: {exc}"}}', flush=True)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
