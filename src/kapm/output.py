"""Findings formats: each is a small projection of the Finding record, chosen from a dict.

Every formatter takes a :class:`Report` (findings plus run facts) and returns the text
to print.  Nothing else in kapm formats findings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from kapm import __version__
from kapm.findings import ERROR, INFO, WARNING, Finding


@dataclass
class Report:
    """What the findings formats (text, json, github, junit, sarif) render."""

    findings: list[Finding]
    as_of: str
    projects: int = 0
    files: int = 0
    color: bool = False
    rules: dict = field(default_factory=dict)  # code -> Rule, for formats carrying metadata
    project_ids: list = field(default_factory=list)  # every project checked (JUnit lists clean ones too)

    def counts(self) -> dict[str, int]:
        c = {ERROR: 0, WARNING: 0, INFO: 0}
        for f in self.findings:
            c[f.severity] = c.get(f.severity, 0) + 1
        return c


_COLORS = {ERROR: "\x1b[1;31m", WARNING: "\x1b[1;33m", INFO: "\x1b[1;36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def text_console(width: int, color: bool):
    """A rich Console that renders into a string (``console.file.getvalue()``): the
    terminal tables of plan, risks and portfolio.  Plain text unless ``color``; fixed
    ``width``, no emoji or highlighting, no soft wrap, so output is deterministic."""
    import io

    from rich.console import Console

    return Console(file=io.StringIO(), width=width, color_system="standard" if color else None,
                   force_terminal=color, no_color=not color, highlight=False, emoji=False,
                   legacy_windows=False, soft_wrap=False)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_text(rep: Report) -> str:
    out = []
    for f in rep.findings:
        loc = str(f.location)
        if rep.color:
            out.append(f"{_BOLD}{loc}{_RESET}: {_COLORS[f.severity]}{f.code} {f.severity}{_RESET}: {f.message}")
            if f.hint:
                out.append(f"  {_DIM}hint:{_RESET} {f.hint}")
        else:
            out.append(f"{loc}: {f.code} {f.severity}: {f.message}")
            if f.hint:
                out.append(f"  hint: {f.hint}")
    c = rep.counts()
    scope = f"{_plural(rep.projects, 'project')}, {_plural(rep.files, 'file')}, as of {rep.as_of}"
    if rep.findings:
        parts = [_plural(c[s], s) for s in (ERROR, WARNING, INFO) if c[s]]
        out.append(f"Found {', '.join(parts)} ({scope}).")
    else:
        out.append(f"All checks passed ({scope}).")
    return "\n".join(out) + "\n"


def finding_dict(f: Finding) -> dict:
    return {"code": f.code, "severity": f.severity, "message": f.message, "hint": f.hint,
            "file": f.location.file, "line": f.location.line, "column": f.location.column,
            "project": f.project}


def format_json(rep: Report) -> str:
    doc = {"version": __version__, "as_of": rep.as_of,
           "summary": {"projects": rep.projects, "files": rep.files, **rep.counts()},
           "findings": [finding_dict(f) for f in rep.findings]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def format_github(rep: Report) -> str:
    """GitHub Actions workflow commands (``::error file=…,line=…::message``), escaped."""
    level = {ERROR: "error", WARNING: "warning", INFO: "notice"}
    out = []
    for f in rep.findings:
        msg = f.message + (f"\n{f.hint}" if f.hint else "")
        out.append(f"::{level[f.severity]} file={_gh_prop(f.location.file)},line={f.location.line},"
                   f"col={f.location.column},title={_gh_prop(f.code)}::{_gh_data(msg)}")
    return "\n".join(out) + ("\n" if out else "")




def format_junit(rep: Report) -> str:
    from kapm.output_ci import format_junit as fmt  # XML machinery only when asked for

    return fmt(rep)


def format_sarif(rep: Report) -> str:
    from kapm.output_ci import format_sarif as fmt

    return fmt(rep)


FORMATS = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "junit": format_junit,
    "sarif": format_sarif,
}
