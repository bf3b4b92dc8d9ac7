"""CI formats of ``kapm check``: JUnit XML and SARIF 2.1.0 (projections of the Finding record).

* **JUnit** (Jenkins, GitLab, GitHub test reporters, Azure Pipelines): one ``<testsuite>``
  per project and one ``<testcase>`` per project × rule code of the registry, so a rule
  that passes shows as a passed test and the pass count is meaningful.  Each finding is a
  ``<failure>`` of its testcase (``type`` = severity, ``message`` = the message, body =
  ``file:line:column`` and the hint).  Findings outside any project (``kapm.yaml``,
  ``account.yaml``) go to a testsuite named ``(workspace)``.  The XML follows the
  Jenkins/Surefire ``junit-10.xsd`` (tests/data/junit-10.xsd).  No timestamps or host
  names: the same input gives the same bytes.
* **SARIF 2.1.0** (GitHub code scanning, GitLab, Azure DevOps, VS Code SARIF viewer):
  one run; ``tool.driver.rules`` carries every rule's metadata (id, name, short and full
  description, help with the failing and passing examples, default level); results carry
  ruleId/ruleIndex, level (error, warning, note), the message with its hint, and a
  physical location (relative URI with ``/`` separators, percent-encoded, 1-based line
  and column in Unicode code points).
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from kapm import __version__
from kapm.findings import ERROR, INFO, WARNING

__all__ = ["format_junit", "format_sarif", "WORKSPACE_SUITE"]

WORKSPACE_SUITE = "(workspace)"
_SARIF_LEVEL = {ERROR: "error", WARNING: "warning", INFO: "note"}
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _xml_text(s: str) -> str:
    """Text safe for XML 1.0: characters XML cannot carry at all become U+FFFD."""
    return "".join(c if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c >= "\U00010000" else "\ufffd" for c in s)


def _attr(s: str) -> str:
    return quoteattr(_xml_text(s), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _rule_codes(rep) -> list[str]:
    codes = set(rep.rules) | {f.code for f in rep.findings}
    return sorted(codes)


def _suites(rep) -> list[str]:
    """Project ids in a stable order: those the report names (if it carries them), then any
    others that have findings; the workspace suite last, only when it has findings."""
    names = list(getattr(rep, "project_ids", None) or [])
    for f in rep.findings:
        if f.project is not None and f.project not in names:
            names.append(f.project)
    if not names and not rep.findings:
        names = [WORKSPACE_SUITE]  # nothing checked: still a valid, all-passing report
    if any(f.project is None for f in rep.findings):
        names.append(WORKSPACE_SUITE)
    return names


def format_junit(rep) -> str:
    """JUnit XML: a testsuite per project, a testcase per rule code, a failure per finding."""
    codes = _rule_codes(rep)
    by_suite: dict[str, dict[str, list]] = {}
    for f in rep.findings:
        suite = f.project if f.project is not None else WORKSPACE_SUITE
        by_suite.setdefault(suite, {}).setdefault(f.code, []).append(f)
    suites = _suites(rep)
    total_failures = sum(1 for c in by_suite.values() for fs in c.values() for _ in fs)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="kapm" tests="{len(codes) * len(suites)}" failures="{total_failures}" '
           f'errors="0" time="0">']
    for suite in suites:
        found = by_suite.get(suite, {})
        failures = sum(len(v) for v in found.values())
        out.append(f'  <testsuite name={_attr(suite)} tests="{len(codes)}" failures="{failures}" errors="0" '
                   f'skipped="0" time="0">')
        out.append("    <properties>")
        out.append(f'      <property name="as_of" value={_attr(rep.as_of)}/>')
        out.append(f'      <property name="kapm_version" value={_attr(__version__)}/>')
        out.append("    </properties>")
        for code in codes:
            r = rep.rules.get(code)
            name = f"{code} {r.name}" if r is not None else code
            hits = found.get(code, [])
            head = f'    <testcase name={_attr(name)} classname={_attr("kapm." + suite)} time="0"'
            if not hits:
                out.append(head + "/>")
                continue
            out.append(head + ">")
            for f in hits:
                body = f"{f.location}: {f.code} {f.severity}: {f.message}"
                if f.hint:
                    body += f"\nhint: {f.hint}"
                out.append(f"      <failure message={_attr(f.message)} type={_attr(f.severity)}>"
                           f"{escape(_xml_text(body))}</failure>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _help_text(r) -> str:
    parts = [r.doc]
    if r.bad:
        parts.append("Fails:\n\n" + r.bad.rstrip("\n"))
    if r.good:
        parts.append("Passes:\n\n" + r.good.rstrip("\n"))
    return "\n\n".join(parts)


def _help_markdown(r) -> str:
    parts = [r.doc]
    if r.bad:
        parts.append("Fails:\n\n```yaml\n" + r.bad.rstrip("\n") + "\n```")
    if r.good:
        parts.append("Passes:\n\n```yaml\n" + r.good.rstrip("\n") + "\n```")
    return "\n\n".join(parts)


def _sarif_rule(code: str, r) -> dict:
    if r is None:
        return {"id": code, "shortDescription": {"text": code}}
    from kapm.rules.registry import FAMILIES

    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.doc},
        "help": {"text": _help_text(r), "markdown": _help_markdown(r)},
        "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
        "properties": {"tags": ["kapm", FAMILIES.get(r.family, r.family)]},
    }


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/-._~!$&'()*+,;=:@")


def format_sarif(rep) -> str:
    """SARIF 2.1.0: one run with every rule's metadata and one result per finding."""
    codes = _rule_codes(rep)
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for f in rep.findings:
        text = f.message + (f"\nhint: {f.hint}" if f.hint else "")
        loc = f.location
        fingerprint = hashlib.sha256(f"{f.code}\0{loc.file}\0{f.message}".encode("utf-8")).hexdigest()[:32]
        res = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(loc.file)},
                "region": {"startLine": max(1, loc.line), "startColumn": max(1, loc.column)},
            }}],
            "partialFingerprints": {"kapmFinding/v1": fingerprint},
        }
        props = {k: v for k, v in (("project", f.project), ("hint", f.hint)) if v}
        if props:
            res["properties"] = props
        results.append(res)
    doc = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kapm",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_sarif_rule(c, rep.rules.get(c)) for c in codes],
            }},
            "columnKind": "unicodeCodePoints",
            "properties": {"as_of": rep.as_of},
            "results": results,
        }],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
