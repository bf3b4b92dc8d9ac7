"""The rule registry: one entry per stable code.

A rule is a decorated function whose docstring *is* its documentation::

    @rule("K001", "risk-without-owner", WARNING)
    def risk_without_owner(ctx):
        '''Open risk without an owner.

        A risk nobody owns is a risk nobody watches ...

        Bad:
            risks:
              - {id: R1, title: Key user leaves, probability: 3, impact: 4}
        Good:
            risks:
              - {id: R1, title: Key user leaves, probability: 3, impact: 4, owner: li.wei}
        '''
        for i, risk in enumerate(ctx.project.risks):
            if ...:
                yield Hit("...", risk.path, hint="...")

Codes produced by pipeline stages (YAML, schema) are registered with :func:`documented`
so that ``kapm rules`` lists them too.  The registry is filled at import time only and
never changed afterwards; configuration filters it.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Iterable

from kapm.findings import ERROR, INFO, WARNING  # noqa: F401  (re-exported for rule modules)

FAMILIES = {
    "Y": "YAML", "S": "schema", "R": "references", "P": "plan", "T": "tracking",
    "A": "people", "G": "goals and scope", "K": "risk", "C": "client", "X": "change",
    "B": "budget and contract", "Q": "quality",
}

@dataclass(frozen=True)
class Hit:
    """What a rule reports: the runner adds code, severity and file:line:column."""

    message: str
    path: tuple = ()
    hint: str | None = None
    key: bool = False  # point at the key instead of the value
    source: object = None  # a Source/SourceFile other than the project's (account files)


@dataclass(frozen=True)
class Rule:
    """A registered rule: its code, name, default severity, docs and check function."""

    code: str
    name: str
    severity: str
    summary: str
    doc: str
    bad: str | None
    good: str | None
    check: Callable[..., Iterable[Hit]] | None = field(default=None, compare=False)
    scope: str = "project"  # project | account | stage

    @property
    def family(self) -> str:
        return self.code[0]


REGISTRY: dict[str, Rule] = {}


def _parse_doc(doc: str) -> tuple[str, str, str | None, str | None]:
    """Split a rule docstring into summary, prose, bad and good YAML examples."""
    text = inspect.cleandoc(doc or "")
    blocks: dict[str, list[str]] = {"prose": [], "bad": [], "good": []}
    current = "prose"
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped in ("Bad:", "Good:") and not line.startswith(" "):
            current = stripped[:-1].lower()
            continue
        blocks[current].append(line)
    prose = "\n".join(blocks["prose"]).strip()
    summary = " ".join(prose.split("\n\n", 1)[0].split())

    def example(lines: list[str]) -> str | None:
        body = textwrap.dedent("\n".join(lines)).strip("\n") if any(x.strip() for x in lines) else ""
        return body + "\n" if body else None

    return summary, prose, example(blocks["bad"]), example(blocks["good"])


def _register(code: str, name: str, severity: str, doc: str, check, scope: str) -> Rule:
    if code in REGISTRY:
        raise RuntimeError(f"rule code {code} registered twice")
    summary, prose, bad, good = _parse_doc(doc)
    r = Rule(code, name, severity, summary, prose, bad, good, check, scope)
    REGISTRY[code] = r
    return r


def rule(code: str, name: str, severity: str, *, scope: str = "project"):
    """Register a checking function under ``code``; its docstring is the documentation."""

    def deco(fn):
        _register(code, name, severity, fn.__doc__ or "", fn, scope)
        return fn

    return deco


def documented(code: str, name: str, severity: str, doc: str) -> None:
    """Register a code that a pipeline stage (loader, schema) produces."""
    _register(code, name, severity, doc, None, "stage")
