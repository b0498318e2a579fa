#!/usr/bin/env python3
"""Checks a feed with independent parsers: `check.py rss|atom|json FILE` (or `-` for stdin).

RSS and Atom are parsed by feedparser, which must report no bozo (malformed) error and the
expected format; JSON Feed is validated against the JSON Feed 1.1 schema beside this file.
Exits 0 when the feed is accepted, 1 with the reason on stderr when not, 2 when a parser is
missing.
"""

import json
import pathlib
import sys


def fail(reason, code=1):
    print(reason, file=sys.stderr)
    sys.exit(code)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("rss", "atom", "json"):
        fail("usage: check.py rss|atom|json FILE", 2)
    kind, path = sys.argv[1], sys.argv[2]
    data = sys.stdin.buffer.read() if path == "-" else pathlib.Path(path).read_bytes()
    if kind == "json":
        try:
            import jsonschema
        except ImportError:
            fail("jsonschema is not installed", 2)
        schema_path = pathlib.Path(__file__).with_name("jsonfeed-1.1.schema.json")
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        try:
            doc = json.loads(data.decode("utf-8"))
        except ValueError as e:
            fail(f"not JSON: {e}")
        validator = jsonschema.Draft7Validator(
            schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
        )
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            fail("; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5]))
        print(f"json: {len(doc['items'])} items")
        return
    try:
        import feedparser
    except ImportError:
        fail("feedparser is not installed", 2)
    parsed = feedparser.parse(data)
    if parsed.bozo:
        fail(f"bozo: {parsed.bozo_exception!r}")
    expected = "rss20" if kind == "rss" else "atom10"
    if parsed.version != expected:
        fail(f"feedparser read {parsed.version!r}, not {expected}")
    print(f"{kind}: {len(parsed.entries)} entries")


if __name__ == "__main__":
    main()
