"""CLI behaviour of the foundation commands: check, schema, rules, init, --version."""

import json

import pytest
from typer.testing import CliRunner

from kapm import __version__
from kapm.cli import build_app
from conftest import ROOT

GOOD = {
    "project.yaml": "kapm: 1\nproject: {id: p, name: P, start: 2026-09-07, manager: pm}\n"
                    "team: [{id: pm, name: 李伟}]\n",
    "tasks.yaml": "kapm: 1\ntasks:\n  - {id: a, name: 设计 Design, duration: 3d, owner: pm}\n"
                  "  - {id: b, name: Build, duration: 2d, depends: [a], owner: pm}\n",
}
BAD = {
    "project.yaml": "kapm: 1\nproject: {id: p, name: P, start: 2026-09-07}\n",
    "tasks.yaml": "kapm: 1\ntasks:\n  - {id: a, name: A, duration: 3d, depends: [zz]}\n",
}


def run(*args):
    return CliRunner().invoke(build_app(), list(args))


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"kapm {__version__}"


def test_check_ok_text(project_dir):
    project_dir(GOOD)
    r = run("check", "--as-of", "2026-09-07")
    assert r.exit_code == 0, r.output
    assert "All checks passed (1 project, 2 files, as of 2026-09-07)" in r.stdout


def test_check_error_text_format(project_dir):
    project_dir(BAD)
    r = run("check", ".", "--as-of", "2026-09-07")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert ("tasks.yaml:3:46: R001 error: task 'a' depends on unknown task 'zz'; "
            "the dependency cannot be scheduled") in lines
    assert "  hint: " in r.stdout and "\x1b[" not in r.stdout


def test_check_json_shape(project_dir):
    project_dir(BAD)
    r = run("check", "--format", "json", "--as-of", "2026-09-07")
    doc = json.loads(r.stdout)
    assert r.exit_code == 1
    assert doc["version"] == __version__ and doc["as_of"] == "2026-09-07"
    assert set(doc["summary"]) == {"projects", "files", "error", "warning", "info"}
    assert (doc["summary"]["projects"], doc["summary"]["files"], doc["summary"]["error"]) == (1, 2, 1)
    assert doc["summary"]["warning"] == sum(f["severity"] == "warning" for f in doc["findings"])
    (f,) = [f for f in doc["findings"] if f["code"] == "R001"]
    assert set(f) == {"code", "severity", "message", "hint", "file", "line", "column", "project"}
    assert (f["file"], f["line"], f["column"], f["project"]) == ("tasks.yaml", 3, 46, "p")


def test_check_github_escaping(project_dir):
    files = dict(BAD)
    files["tasks.yaml"] = "kapm: 1\ntasks:\n  - {id: a, name: A, duration: 3d, depends: ['x,y:z%']}\n"
    project_dir(files)
    r = run("check", "--format", "github")
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("::error")]
    assert line.startswith("::error file=tasks.yaml,line=3,col=46,title=S002::")
    assert "x,y:z%25" in line and "\n" not in line  # '%' escaped in message data

    files["tasks.yaml"] = "kapm: 1\ntasks:\n  - {id: a, name: A, duration: 3d, depends: [zz]}\n"
    project_dir(files)
    (line,) = [x for x in run("check", "--format", "github").stdout.splitlines() if x.startswith("::error")]
    assert ",title=R001::" in line and "%0Ause the id" in line  # hint on its own line


def test_strict_select_ignore(project_dir):
    files = dict(GOOD)
    files["tasks.yaml"] = "kapm: 1\ntasks:\n  - {id: a, name: A, duration: 3d}  # kapm: ignore\n"
    project_dir(files)
    assert run("check", "--select", "S").exit_code == 0  # S006 is a warning
    assert run("check", "--select", "S", "--strict").exit_code == 1
    assert run("check", "--strict", "--select", "S", "--ignore", "S006").exit_code == 0
    assert run("check", "--strict", "--select", "R").exit_code == 0
    assert run("check", "--strict", "--select", "R,S006").exit_code == 1
    out = run("check", "--select", "S006", "--format", "json").stdout
    assert {f["code"] for f in json.loads(out)["findings"]} == {"S006"}


def test_inline_ignore_with_code(project_dir):
    files = dict(BAD)
    files["tasks.yaml"] = "kapm: 1\ntasks:\n  - {id: a, name: A, duration: 3d, depends: [zz]}  # kapm: ignore[R001]\n"
    project_dir(files)
    r = run("check", "--format", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["summary"]["files"] == 2  # tasks.yaml was read; its R001 is silenced
    assert "R001" not in {f["code"] for f in doc["findings"]}
    files["tasks.yaml"] = files["tasks.yaml"].replace("ignore[R001]", "ignore[R002]")
    project_dir(files)
    assert "R001" in {f["code"] for f in json.loads(run("check", "--format", "json").stdout)["findings"]}


def test_config_severity_and_unknown_code(project_dir):
    files = dict(BAD)
    files["kapm.yaml"] = "kapm: 1\nrules:\n  severity: {R001: warning}\n  ignore: [Z999]\n"
    project_dir(files)
    r = run("check", "--format", "json")
    doc = json.loads(r.stdout)
    codes = {(f["code"], f["severity"]) for f in doc["findings"]}
    assert ("R001", "warning") in codes
    assert ("S002", "error") in codes  # the unknown code in kapm.yaml is itself a finding
    assert r.exit_code == 1


@pytest.mark.parametrize("args,needle", [
    (["check", "nowhere"], "path not found"),
    (["check", "--as-of", "2026-13-01"], "is not a date"),
    (["check", "--format", "yaml"], "unknown format"),
    (["rules", "Z999"], "unknown rule code"),
])
def test_usage_errors_exit_2(project_dir, args, needle):
    project_dir(GOOD)
    r = run(*args)
    assert r.exit_code == 2 and needle in r.stderr


def test_unknown_option_exit_2(project_dir):
    project_dir(GOOD)
    r = run("check", "--bogus")
    assert r.exit_code == 2 and "--bogus" in r.output


def test_internal_error_exit_3(monkeypatch, capsys):
    import kapm.analysis
    from kapm import cli

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(kapm.analysis, "analyze", boom)
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", "."])
    assert exc.value.code == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "internal error" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        cli.main(["check", ".", "--debug"])
    assert "Traceback" in capsys.readouterr().err


def test_color_only_when_forced(project_dir, monkeypatch):
    project_dir(BAD)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in run("check").stdout
    assert "\x1b[" not in run("check", "--no-color").stdout


def test_schema_validates_example():
    import jsonschema
    import yaml

    r = run("schema")
    schema = json.loads(r.stdout)
    data = yaml.safe_load(open(ROOT / "examples/acme-erp/accounts/acme/erp-rollout/project.yaml", encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(data, default=str)), schema)


def test_rules_list_and_show():
    r = run("rules")
    assert r.exit_code == 0 and "Y001" in r.stdout and "P001" in r.stdout
    r = run("rules", "p001")
    assert r.exit_code == 0 and "Fails:" in r.stdout and "Passes:" in r.stdout
    doc = json.loads(run("rules", "R001", "--format", "json").stdout)
    assert doc["code"] == "R001" and doc["bad"] and doc["good"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_init_then_check_passes(tmp_path, monkeypatch, lang):
    monkeypatch.chdir(tmp_path)
    r = run("init", "ws", "--lang", lang, "--account", "acme", "--as-of", "2026-11-02")
    assert r.exit_code == 0, r.output
    first = (tmp_path / "ws/accounts/acme/first-project/tasks.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../../kapm.schema.json"
    assert (tmp_path / "ws/kapm.schema.json").is_file()
    r = run("check", "ws", "--as-of", "2026-11-02", "--strict")
    assert r.exit_code == 0, r.output
    assert run("init", "ws").exit_code == 2  # never overwrites


@pytest.mark.parametrize("args,code,stream,needle", [
    (["check", str(ROOT / "examples/acme-erp"), "--as-of", "2026-11-20"], 0, "stdout", "All checks passed"),
    (["check", "nowhere"], 2, "stderr", "path not found"),
    (["rules", "P001"], 0, "stdout", "dependency-cycle"),
])
def test_console_process_exit_codes_and_output(args, code, stream, needle):
    """As a real process (the console script ends with a flushed fast exit), exit codes and
    output are complete."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "kapm", *args], cwd=root, capture_output=True, text=True)
    assert proc.returncode == code
    assert needle in getattr(proc, stream)


@pytest.mark.parametrize("command", ["check", "plan", "risks", "portfolio", "report", "diff", "trend",
                                     "schema", "rules", "init"])
def test_a_command_alone_behaves_as_in_the_whole_app(command, project_dir):
    """main() registers only the command being run (start-up time); its help, usage
    errors and results must be those of the full app."""
    from kapm.cli import COMMANDS

    assert command in COMMANDS
    project_dir(GOOD)
    for args in ([command, "--help"], [command, "--no-such-option"]):
        alone = CliRunner().invoke(build_app(command), args)
        whole = CliRunner().invoke(build_app(), args)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)
        assert "Usage: kapm " + command in alone.output
    if command in ("check", "plan", "risks"):
        alone = CliRunner().invoke(build_app(command), [command, "--as-of", "2026-09-07"])
        assert (alone.exit_code, alone.output) == (0, run(command, "--as-of", "2026-09-07").output)
