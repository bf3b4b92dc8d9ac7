"""Every bundled example passes `kapm check` without errors."""

from datetime import date
from pathlib import Path

import pytest

from kapm.analysis import analyze

EXAMPLES = sorted(p for p in (Path(__file__).parent.parent / "examples").iterdir()
                  if p.is_dir() and (p / "kapm.yaml").exists()
                  and not (p / "expected-findings.json").exists())  # deliberately broken: test_imperfect_example.py


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_has_no_errors(example):
    result = analyze([example], as_of=date(2026, 11, 20))
    errors = [f"{f.location}: {f.code} {f.message}" for f in result.findings if f.severity == "error"]
    assert result.projects and not errors, "\n".join(errors)
