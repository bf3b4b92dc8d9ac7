"""Rule documentation: the text of ``kapm rules`` and the generated docs/rules.md."""

from __future__ import annotations

from kapm.rules.registry import FAMILIES, Rule


def rule_json(r: Rule) -> dict:
    return {"code": r.code, "name": r.name, "severity": r.severity, "family": FAMILIES[r.family],
            "summary": r.summary, "doc": r.doc, "bad": r.bad, "good": r.good}


def table_text(rules) -> str:
    rows = [(r.code, r.name, r.severity, r.summary) for r in rules]
    w = max(len(r[1]) for r in rows)
    return "".join(f"{c}  {n:<{w}}  {s:<7}  {summ}\n" for c, n, s, summ in rows)


def _indent(text: str) -> str:
    return "".join("    " + line + "\n" if line else "\n" for line in text.rstrip("\n").split("\n"))


def rule_text(r: Rule) -> str:
    out = [f"{r.code} {r.name} ({r.severity}, {FAMILIES[r.family]})", "", r.doc, ""]
    if r.bad:
        out += ["Fails:", _indent(r.bad)]
    if r.good:
        out += ["Passes:", _indent(r.good)]
    return "\n".join(out).rstrip("\n") + "\n"


def rules_markdown(rules) -> str:
    """docs/rules.md (regenerate with `python -m kapm.rules.docs > docs/rules.md`)."""
    out = ["# kapm rules", "",
           "<!-- generated from the rule docstrings by `python -m kapm.rules.docs`; do not edit -->", "",
           "| code | name | severity | summary |", "|---|---|---|---|"]
    for r in rules:
        summary = r.summary.replace("|", "\\|")
        out.append(f"| [{r.code}](#{r.code.lower()}) | {r.name} | {r.severity} | {summary} |")
    for r in rules:
        out += ["", f"## {r.code}", "", f"**{r.name}** · {r.severity} · {FAMILIES[r.family]}", "", r.doc]
        if r.bad:
            out += ["", "Fails:", "", "```yaml", r.bad.rstrip("\n"), "```"]
        if r.good:
            out += ["", "Passes:", "", "```yaml", r.good.rstrip("\n"), "```"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    from kapm.rules import all_rules

    print(rules_markdown(all_rules().values()), end="")
