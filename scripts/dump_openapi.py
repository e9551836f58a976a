"""Print the API's OpenAPI schema as stable JSON for the console's generated client.

`web/src/api/openapi.json` is this output and `npm run gen:api` turns it into TypeScript types;
`make api-client` does both. Keys are sorted and indented so a schema change is a readable diff.
The app is built by `siyu.openapi.openapi_document()` (a throwaway SQLite URL, no migrations
checked), the same document `siyu openapi` prints.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from siyu.openapi import openapi_document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render(openapi_document()))


if __name__ == "__main__":
    main()
