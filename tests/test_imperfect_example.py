"""examples/imperfect: a deliberately broken workspace with one or more findings of every rule.

The expected findings are stored in examples/imperfect/expected-findings.json (the output
of ``kapm check examples/imperfect --as-of 2026-11-20 --format json`` run from the
repository root).  A rule change that adds, loses or moves a finding shows up here.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kapm.analysis import analyze
from kapm.cli import build_app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path("examples") / "imperfect"
AS_OF = date(2026, 11, 20)
FAMILIES = set("YSRPTAGKCXBQ")


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # finding paths are relative to the current directory


def expected() -> dict:
    return json.loads((ROOT / EXAMPLE / "expected-findings.json").read_text(encoding="utf-8"))


def test_findings_match_expected(at_root):
    result = analyze([EXAMPLE], as_of=AS_OF)
    got = {(f.code, f.location.file, f.location.line) for f in result.findings}
    want = {(f["code"], f["file"], f["line"]) for f in expected()["findings"]}
    assert sorted(got - want) == [], "unexpected findings"
    assert sorted(want - got) == [], "missing findings"


def test_every_rule_family_appears(at_root):
    result = analyze([EXAMPLE], as_of=AS_OF)
    assert {f.code[0] for f in result.findings} >= FAMILIES
    assert {f["code"][0] for f in expected()["findings"]} >= FAMILIES


# The v1 codes of SPEC §5 but X003, which compares with a git baseline (--baseline REV).
V1_CODES = {
    "Y001", "Y002", "S001", "S002", "S003", "S004", "S005", "S006",
    "R001", "R002", "R003", "R004", "P001", "P002", "P003", "P004",
    "T001", "T002", "T003", "T004", "T005", "T006", "A001", "A002", "A003", "A004",
    "G001", "G002", "G003", "K001", "K002", "K003",
    "C001", "C002", "C003", "C004", "C005", "C006", "X001", "X002",
    "B001", "B002", "B003", "Q001", "Q002",
}


def test_every_code_but_x003_appears():
    codes = {f["code"] for f in expected()["findings"]}
    assert sorted(V1_CODES - codes) == []


def test_cli_exits_1(at_root):
    r = CliRunner().invoke(build_app(), ["check", str(EXAMPLE), "--as-of", "2026-11-20", "--format", "json"])
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    assert out["summary"] == expected()["summary"]
