"""Rule cases as data: tests/rule_cases/<CODE>.yaml holds cases of files and the
(code, line) findings of that code they must produce — no more, no fewer.

Case file format::

    - name: what the case shows
      as_of: 2026-11-20            # optional, default 2026-11-20
      files:                       # relative path -> content (a project.yaml at least)
        project.yaml: |
          kapm: 1
          ...
      expect: [[K003, 5]]          # [code, line] or [code, line, file]; [] for a passing case
"""

from datetime import date
from pathlib import Path

import pytest
import yaml

from conftest import write_files

CASES_DIR = Path(__file__).parent / "rule_cases"


def _cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        code = path.stem
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))):
            yield pytest.param(code, case, id=f"{code}-{i}-{case['name']}")


@pytest.mark.parametrize("code,case", list(_cases()))
def test_rule_case(code, case, tmp_path, monkeypatch):
    from kapm.analysis import analyze

    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, case["files"])
    as_of = case.get("as_of", date(2026, 11, 20))
    if isinstance(as_of, str):
        as_of = date.fromisoformat(as_of)
    result = analyze([tmp_path], as_of=as_of)
    got = []
    for f in result.findings:
        if f.code != code:
            continue
        assert f.location.line >= 1 and f.location.column >= 1
        got.append((f.code, f.location.line, f.location.file))
    want = []
    for e in case["expect"]:
        if len(e) == 3:
            want.append((e[0], e[1], e[2]))
        else:
            want.append((e[0], e[1], None))
    # compare file only where the case names one
    named_files = {(c, l): fl for c, l, fl in want if fl is not None}
    got_cmp = sorted((c, l, fl if (c, l) in named_files else None) for c, l, fl in got)
    assert got_cmp == sorted(want), "\n".join(str(f) + " " + f.message for f in result.findings)


def test_every_rule_has_cases_and_docs():
    from kapm.rules import all_rules

    missing = []
    for code, r in all_rules().items():
        assert r.summary, f"{code} has no summary"
        assert r.bad and r.good, f"{code} documentation lacks a failing and a passing example"
        path = CASES_DIR / f"{code}.yaml"
        if not path.exists():
            missing.append(code)
            continue
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert any(c["expect"] for c in cases), f"{code}: no failing case"
        assert any(not c["expect"] for c in cases), f"{code}: no passing case"
    assert not missing, f"rules without cases in tests/rule_cases: {missing}"
