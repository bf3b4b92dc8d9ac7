"""Inline suppressions: a trailing ``# kapm: ignore[K003, C005]`` silences those codes for
findings on that line.  A bare ``# kapm: ignore`` silences nothing and is itself a
warning (SPEC §5), so every suppression says what it hides."""

from __future__ import annotations

import re

IGNORE_COMMENT = re.compile(r"#\s*kapm:\s*ignore\b(?:\[([^\]]*)\])?")


def scan_ignores(text: str) -> dict[int, frozenset[str] | None]:
    """Map 1-based line -> codes named on it; ``None`` marks a bare ignore."""
    found: dict[int, frozenset[str] | None] = {}
    if "kapm:" not in text:
        return found
    for lineno, line in enumerate(text.split("\n"), start=1):
        if "kapm:" not in line or "#" not in line:
            continue
        m = IGNORE_COMMENT.search(line)
        if not m:
            continue
        if m.group(1) is None:
            found[lineno] = None
        else:
            codes = frozenset(c.strip().upper() for c in m.group(1).split(",") if c.strip())
            found[lineno] = codes or None
    return found
