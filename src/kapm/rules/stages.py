"""Documentation of the codes produced by the loader and the schema stage (Y, S)."""

from kapm.rules.registry import ERROR, documented

documented("Y001", "yaml-syntax", ERROR, """
YAML that kapm refuses to read.

Syntax errors, tab indentation, bytes that are not UTF-8, control or bidirectional
characters, directives other than ``%YAML 1.2``, tags outside the YAML 1.2 core schema
(``!!python/...``, ``!include``), more than one document, and input over the limits:
file size (``limits.max_file_mb``, 8 MiB by default), nesting depth (64) and alias
expansion (100,000 nodes, 8 levels).  The limits are checked while the file streams in,
so a hostile file costs milliseconds.

Bad:
    kapm: 1
    project: !include other.yaml
Good:
    kapm: 1
    project:
      id: erp-rollout
      name: ERP rollout
""")

documented("Y002", "duplicate-key", ERROR, """
The same key twice in one mapping.

YAML parsers silently keep the last value, so a reviewer reads one duration and kapm
another.  kapm refuses the file and names both lines.

Bad:
    tasks:
      - id: build
        name: Build
        duration: 5d
        duration: 8d
Good:
    tasks:
      - id: build
        name: Build
        duration: 8d
""")

documented("S001", "unknown-key", ERROR, """
A key the file format does not define.

Usually a typo (``dependencies`` for ``depends``); the hint suggests the closest known key.
Unknown keys are errors because a misspelt field is silently ignored otherwise.

Bad:
    tasks:
      - id: build
        name: Build
        duraton: 5d
Good:
    tasks:
      - id: build
        name: Build
        duration: 5d
""")

documented("S002", "invalid-value", ERROR, """
A value of the wrong type or out of range.

Impossible dates (``2026-02-30``), durations kapm cannot read (``5x``), scores outside
1–5, percentages outside 0–100, an enumeration value that is not in the list.

Bad:
    risks:
      - {id: R1, title: Vendor delay, probability: 7, impact: 3}
Good:
    risks:
      - {id: R1, title: Vendor delay, probability: 4, impact: 3}
""")

documented("S003", "missing-field", ERROR, """
A required field is missing.

Every task needs ``id`` and ``name``; a leaf task also needs ``duration``, ``estimate``
or ``milestone: true``, otherwise it cannot be scheduled.

Bad:
    tasks:
      - id: build
        duration: 5d
Good:
    tasks:
      - id: build
        name: Build the interfaces
        duration: 5d
""")

documented("S004", "format-version", ERROR, """
Missing or unsupported ``kapm:`` format version.

Every file starts with ``kapm: 1`` so that a later kapm can read old files exactly as
they were meant.

Bad:
    project:
      id: erp-rollout
      name: ERP rollout
Good:
    kapm: 1
    project:
      id: erp-rollout
      name: ERP rollout
""")

documented("S005", "section-defined-twice", ERROR, """
A mapping section (project, calendar, scope, quality, contract, closure) is defined in
more than one file of a project.

List sections (tasks, risks, log, ...) may be split over files and are concatenated in
file-name order; a mapping section lives in exactly one file, otherwise it is unclear
which one counts.

Bad:
    # project.yaml
    kapm: 1
    calendar: {country: CN}
    # calendar.yaml
    kapm: 1
    calendar: {country: US}
Good:
    # project.yaml
    kapm: 1
    calendar: {country: CN}
""")

documented("S006", "bare-ignore", "warning", """
A ``# kapm: ignore`` comment that names no rule code.

A suppression must say what it hides, so that a reviewer can judge it and a later,
different problem on the same line is not hidden too (like ruff's blanket-noqa check).

Bad:
    risks:
      - {id: R1, title: Vendor delay, probability: 3, impact: 4}  # kapm: ignore
Good:
    risks:
      - {id: R1, title: Vendor delay, probability: 3, impact: 4}  # kapm: ignore[K001]
""")
