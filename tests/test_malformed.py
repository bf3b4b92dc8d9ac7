"""Every file in tests/malformed/ is a project.yaml with a user mistake; <name>.expect
holds 'CODE LINE:COL'.  kapm must exit 1, report that finding, and never show a traceback."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kapm.cli import build_app

HERE = Path(__file__).parent / "malformed"
CASES = sorted(p.stem for p in HERE.glob("*.yaml"))


@pytest.mark.parametrize("name", CASES)
def test_malformed(name, tmp_path, monkeypatch):
    (tmp_path / "project.yaml").write_bytes((HERE / f"{name}.yaml").read_bytes())
    code, pos = (HERE / f"{name}.expect").read_text().split()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_app(), ["check", ".", "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    import json

    findings = json.loads(result.stdout)["findings"]
    got = {(f["code"], f"{f['line']}:{f['column']}") for f in findings}
    assert (code, pos) in got, f"expected {code} at {pos}, got {sorted(got)}"
    for f in findings:
        assert f["file"] == "project.yaml" and f["line"] >= 1 and f["column"] >= 1
        assert "input_value" not in f["message"] and "pydantic" not in f["message"].lower()
