"""docs/rules.md is generated from the rule docstrings; `kapm rules` shows the same docs."""

import json
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = ".venv/bin/python -m kapm.rules.docs > docs/rules.md"


def test_rules_md_matches_the_registry():
    from kapm.rules import all_rules
    from kapm.rules.docs import rules_markdown

    want = rules_markdown(all_rules().values())
    have = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert have == want, f"docs/rules.md is out of date with the rule docstrings; regenerate it: {REGENERATE}"


def _run(*args):
    from kapm.cli import build_app

    return CliRunner().invoke(build_app(), ["rules", *args])


def test_rules_lists_every_code():
    from kapm.rules import all_rules

    res = _run()
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert [line.split()[0] for line in lines] == list(all_rules())
    k003 = next(line for line in lines if line.startswith("K003"))
    assert "risk-not-reviewed" in k003 and "warning" in k003


def test_rules_json_lists_every_code():
    from kapm.rules import all_rules

    res = _run("--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert [r["code"] for r in doc] == list(all_rules())
    assert all(r["bad"] and r["good"] for r in doc)


def test_rule_k003_text():
    res = _run("K003")
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.startswith("K003 risk-not-reviewed (warning, risk)")
    assert "Open risk not reviewed for 30 days." in out
    assert "Fails:" in out and "Passes:" in out
    assert out.index("Fails:") < out.index("reviewed: 2026-09-15") < out.index("Passes:")


def test_rule_k003_json_and_lowercase():
    res = _run("k003", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["code"] == "K003" and doc["name"] == "risk-not-reviewed" and doc["family"] == "risk"
    assert doc["severity"] == "warning"
    assert "reviewed: 2026-09-15" in doc["bad"] and "reviewed: 2026-11-16" in doc["good"]


def test_unknown_rule_is_a_usage_error():
    res = _run("Z999")
    assert res.exit_code == 2 and "unknown rule code" in res.stderr
