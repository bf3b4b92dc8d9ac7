"""kapm report: golden reports, escaping, the template sandbox, errors, determinism.

Golden files (tests/golden/report-<template>-<lang>.<md|html>) are the built-in
reports of examples/acme-erp as of 2026-11-20, rendered with a fixed git commit.
Regenerate them after an intended change with

    KAPM_UPDATE_GOLDEN=1 pytest tests/test_report.py

and review the diff like any other change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kapm.cli import build_app
from kapm.gitlayer import describe_worktree as real_describe_worktree
from kapm.trend import for_report as real_for_report

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "examples" / "acme-erp"
GOLDEN = ROOT / "tests" / "golden"
AS_OF = "2026-11-20"
FIXED_COMMIT = "0123456789abcdef0123456789abcdef01234567"
TEMPLATES = ("status", "steering", "risks", "changes", "closure")
UPDATE = os.environ.get("KAPM_UPDATE_GOLDEN") == "1"

PROJECT = {
    "project.yaml": "kapm: 1\nproject: {id: p, name: 'Demo <b>bold</b> | pipe', start: 2026-09-07, manager: pm,\n"
                    "  deadline: 2026-10-30, currency: CNY, budget: 100000}\n"
                    "team: [{id: pm, name: 李伟, rate: 1000}]\n",
    "tasks.yaml": "kapm: 1\ntasks:\n"
                  "  - {id: a, name: '<script>alert(1)</script>', duration: 3d, owner: pm, progress: 100,\n"
                  "     actual_start: 2026-09-07, actual_finish: 2026-09-09}\n"
                  "  - {id: b, name: 'a | b', duration: 5d, depends: [a], owner: pm, progress: 40,\n"
                  "     actual_start: 2026-09-10}\n"
                  "  - {id: c, name: '# heading `code` *em*', duration: 2d, depends: [b], owner: pm}\n"
                  "  - {id: m, name: Done, milestone: true, depends: [c], owner: pm}\n",
    "risks.yaml": "kapm: 1\nrisks:\n  - {id: R1, title: 'x<img src=x onerror=alert(1)>|y', probability: 4, impact: 4,\n"
                  "     owner: pm, reviewed: 2026-09-10, raised: 2026-09-07}\n",
}


def run(*args):
    return CliRunner().invoke(build_app(), list(args))


@pytest.fixture(autouse=True)
def fixed_commit(monkeypatch):
    """Reports state the git commit; pin it so golden files do not change per commit."""
    import kapm.gitlayer

    monkeypatch.setattr(kapm.gitlayer, "describe_worktree", lambda path: {"commit": FIXED_COMMIT, "dirty": False})
    # the milestone trend reads this repository's history, which changes with every commit
    import kapm.trend

    monkeypatch.setattr(kapm.trend, "for_report", lambda folder, as_of=None: None)


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_golden(template, fmt, lang):
    r = run("report", str(ACME), "--template", template, "--format", fmt, "--lang", lang, "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    golden = GOLDEN / f"report-{template}-{lang}.{fmt}"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(r.stdout, encoding="utf-8")
    assert golden.is_file(), f"missing {golden.name}: run KAPM_UPDATE_GOLDEN=1 pytest tests/test_report.py"
    assert r.stdout == golden.read_text(encoding="utf-8"), (
        f"{golden.name} differs; if the change is intended run KAPM_UPDATE_GOLDEN=1 pytest tests/test_report.py")


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_report_states_provenance(template):
    for fmt in ("md", "html"):
        r = run("report", str(ACME), "-t", template, "-f", fmt, "--as-of", AS_OF)
        assert r.exit_code == 0, r.stderr
        out = r.stdout
        assert "ERP rollout phase 1" in out  # project
        assert "Nov 20, 2026" in out  # status date
        assert "Baseline" in out and "none (plan without baseline)" in out
        assert FIXED_COMMIT[:10] in out
        from kapm import __version__

        assert f"kapm {__version__}" in out


def test_chinese_report_is_translated_and_formatted():
    r = run("report", str(ACME), "--lang", "zh", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert "2026年11月20日" in r.stdout and "项目状态报告" in r.stdout and "状态日期" in r.stdout
    assert "Status date" not in r.stdout


def test_lang_defaults_to_kapm_yaml(tmp_path):
    import shutil

    shutil.copytree(ACME, tmp_path / "ws")
    cfg = tmp_path / "ws" / "kapm.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("lang: en", "lang: zh"), encoding="utf-8")
    r = run("report", str(tmp_path / "ws"), "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert "2026年11月20日" in r.stdout


def test_html_is_self_contained():
    r = run("report", str(ACME), "-t", "steering", "-f", "html", "--as-of", AS_OF)
    html = r.stdout
    assert r.exit_code == 0
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", html, re.I)
    assert "@page" in html and "@media print" in html
    assert html.count("<svg") == 3  # S-curve, Gantt, heat map
    for cls in ('class="chart scurve"', 'class="chart gantt"', 'class="chart heatmap"'):
        assert cls in html


def test_output_file_is_written(tmp_path):
    out = tmp_path / "status.html"
    r = run("report", str(ACME), "-o", str(out), "--as-of", AS_OF)  # format inferred from -o
    assert r.exit_code == 0, r.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert r.stdout == ""


def test_deterministic():
    first = run("report", str(ACME), "-t", "steering", "-f", "html", "--as-of", AS_OF).stdout
    second = run("report", str(ACME), "-t", "steering", "-f", "html", "--as-of", AS_OF).stdout
    assert first == second and first


# --------------------------------------------------------------------------- escaping


def test_markdown_escapes_user_text(project_dir):
    project_dir(PROJECT)
    r = run("report", ".", "--as-of", "2026-09-14")
    assert r.exit_code == 0, r.stderr
    md = r.stdout
    assert "<script>" not in md and "\\<script\\>alert(1)\\</script\\>" in md
    assert "a \\| b" in md and "| a | b |" not in md
    assert "\\# heading \\`code\\` \\*em\\*" in md
    assert not re.search(r"(?<!\\)<(img|script|b>)", md) and "x\\<img src=x onerror=alert(1)\\>\\|y" in md
    assert "Demo \\<b\\>bold\\</b\\> \\| pipe" in md


def test_html_escapes_user_text(project_dir):
    project_dir(PROJECT)
    for template in TEMPLATES:
        r = run("report", ".", "-t", template, "-f", "html", "--as-of", "2026-09-14")
        assert r.exit_code == 0, r.stderr
        html = r.stdout
        assert "<script" not in html and "<img" not in html and "<b>bold" not in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html
        if template in ("status", "steering"):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # table and Gantt label
            assert "a | b" in html


def test_md_filter_unit():
    from kapm.mdtext import md_escape

    assert md_escape("a | b\nc") == "a \\| b c"
    assert md_escape("# x") == "\\# x"
    assert md_escape("`x` <y>") == "\\`x\\` \\<y\\>"
    assert md_escape(None) == ""
    assert md_escape("1. item") == "1\\. item"
    assert md_escape("R&D ~x~ @team <b> &lt;i&gt; &#60;") == "R&D \\~x\\~ @\u2060team \\<b\\> \\&lt;i\\&gt; \\&#60;"


# --------------------------------------------------------------------------- sandbox and errors


def _custom(tmp_path, body: str, name: str = "custom.md.j2") -> str:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("body, needle", [
    ("ok\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n", "__class__"),
    ("{{ lipsum.__globals__ }}\n", "__globals__"),
    ("{{ project.name.__class__ }}\n", "__class__"),
    ("{{ _.__globals__['__builtins__'] }}\n", "__globals__"),
])
def test_sandbox_blocks_python_internals(tmp_path, body, needle):
    r = run("report", str(ACME), "-t", _custom(tmp_path, body), "--as-of", AS_OF)
    assert r.exit_code == 1
    assert "not allowed in a report template" in r.stderr and needle in r.stderr
    assert "custom.md.j2:" in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_template_cannot_read_files(tmp_path):
    body = "x\n{% include '/etc/passwd' %}\n{% include '../../../../etc/passwd' %}\n"
    r = run("report", str(ACME), "-t", _custom(tmp_path, body), "--as-of", AS_OF)
    assert r.exit_code == 1
    assert "custom.md.j2:2: template not found: /etc/passwd" in r.stderr
    assert "root:" not in r.stdout


def test_undefined_variable_names_file_and_line(tmp_path):
    r = run("report", str(ACME), "-t", _custom(tmp_path, "line one\n\n{{ project.nme }}\n"), "--as-of", AS_OF)
    assert r.exit_code == 1
    assert re.search(r"custom\.md\.j2:3: undefined variable: .*nme", r.stderr), r.stderr
    assert "Traceback" not in r.stderr


def test_undefined_in_included_template_names_that_file(tmp_path):
    _custom(tmp_path, "{{ nope }}\n", "part.md.j2")
    r = run("report", str(ACME), "-t", _custom(tmp_path, "a\n{% include 'part.md.j2' %}\n"), "--as-of", AS_OF)
    assert r.exit_code == 1 and "part.md.j2:1: undefined variable" in r.stderr


def test_syntax_error_names_file_and_line(tmp_path):
    r = run("report", str(ACME), "-t", _custom(tmp_path, "a\nb\n{% if %}\n"), "--as-of", AS_OF)
    assert r.exit_code == 1 and "custom.md.j2:3: template syntax error" in r.stderr


def test_huge_output_is_refused(tmp_path):
    r = run("report", str(ACME), "-t", _custom(tmp_path, "{{ 'a' * 100000000 }}\n"), "--as-of", AS_OF)
    assert r.exit_code == 1 and "not allowed" in r.stderr


def test_render_limits(tmp_path):
    from kapm.report.render import TemplateProblem, render

    ctx = {"lang": "en", "project": {"currency": "CNY"}}
    slow = _custom(tmp_path, "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    with pytest.raises(TemplateProblem, match="longer than 0.5 seconds"):
        render(ctx, slow, "md", None, time_limit=0.5)
    big = _custom(tmp_path, "{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", "big.md.j2")
    with pytest.raises(TemplateProblem, match="larger than"):
        render(ctx, big, "md", None, size_limit=1000)


def test_unknown_template_name_is_a_clean_error():
    r = run("report", str(ACME), "-t", "nosuch", "--as-of", AS_OF)
    assert r.exit_code == 2 and "no template 'nosuch.md.j2'" in r.stderr and "status" in r.stderr
    r = run("report", str(ACME), "-t", "no/such/file.md.j2", "--as-of", AS_OF)
    assert r.exit_code == 2 and "template file not found" in r.stderr


def test_workspace_template_overrides_builtin(tmp_path):
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(ACME, ws)
    (ws / "templates").mkdir()
    (ws / "templates" / "status.md.j2").write_text("Custom {{ project.id }} {{ as_of|date }}\n", encoding="utf-8")
    r = run("report", str(ws), "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Custom erp-rollout Nov 20, 2026\n"


def test_example_custom_template_renders():
    r = run("report", str(ACME), "-t", str(ROOT / "examples" / "templates" / "one-pager.md.j2"), "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert "ERP rollout phase 1" in r.stdout


def test_project_with_errors_exits_1(project_dir):
    project_dir({"project.yaml": "kapm: 1\nproject: {id: p, name: P, start: 2026-09-07}\n",
                 "tasks.yaml": "kapm: 1\ntasks:\n  - {id: a, name: A, duration: 3d, depends: [zz]}\n"})
    r = run("report", ".", "--as-of", "2026-09-07")
    assert r.exit_code == 1 and "R001" in r.stderr and r.stdout == ""


def test_several_projects_is_a_usage_error():
    r = run("report", str(ROOT / "examples" / "portfolio"), "--as-of", AS_OF)
    assert r.exit_code == 2 and "projects" in r.stderr


def test_bad_language_is_a_usage_error():
    r = run("report", str(ACME), "--lang", "fr", "--as-of", AS_OF)
    assert r.exit_code == 2 and "unknown language 'fr'" in r.stderr


# --------------------------------------------------------------------------- catalogues, size


def test_compiled_catalogue_is_current():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "compile_catalogs.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_large_project_gantt_is_reduced(project_dir):
    """Beyond 200 rows the Gantt keeps summaries, milestones and critical tasks only."""
    lines = ["kapm: 1", "tasks:"]
    for g in range(30):
        lines.append(f"  - id: g{g}\n    name: Group {g}\n    tasks:")
        for k in range(10):
            dep = f", depends: [t{g}-{k - 1}]" if k else ""
            lines.append(f"      - {{id: t{g}-{k}, name: Task {g}.{k}, duration: {1 + (g + k) % 4}d{dep}}}")
    project_dir({"project.yaml": "kapm: 1\nproject: {id: big, name: Big, start: 2026-09-07}\n",
                 "tasks.yaml": "\n".join(lines) + "\n"})
    r = run("report", ".", "-f", "html", "--as-of", "2026-09-07")
    assert r.exit_code == 0, r.stderr
    assert "tasks shown (summaries, milestones and critical tasks)" in r.stdout


# --------------------------------------------------------------------------- baseline


def _git(cwd, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_AUTHOR_DATE": "2026-09-01T10:00:00+08:00", "GIT_COMMITTER_DATE": "2026-09-01T10:00:00+08:00"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_baseline_dates_and_slip(tmp_path):
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(ACME, ws)
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-q", "-m", "plan v1")
    _git(ws, "tag", "v1.0")
    tasks = ws / "accounts" / "acme" / "erp-rollout" / "tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    tasks.write_text(text.replace("name: 集成测试第一轮 SIT cycle 1\n            duration: 10d",
                                  "name: 集成测试第一轮 SIT cycle 1\n            duration: 14d"), encoding="utf-8")
    r = run("report", str(ws), "--baseline", "v1.0", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert "| **Baseline** | v1.0 (`" in r.stdout
    row = next(line for line in r.stdout.splitlines() if "Realization complete" in line)
    assert "Jan 7, 2027" in row and "Jan 14, 2027" in row and "**+5**" in row  # baseline, forecast, slip
    html = run("report", str(ws), "--baseline", "v1.0", "-f", "html", "--as-of", AS_OF).stdout
    assert html.count('class="baseline"') > 40  # baseline bars in the Gantt

    r = run("report", str(ws), "--baseline", "no-such-rev", "--as-of", AS_OF)
    assert r.exit_code == 2 and "no-such-rev" in r.stderr


def test_report_without_schedule_marks_it_missing(monkeypatch):
    """A project that cannot be scheduled still renders, saying what is missing."""
    from kapm.analysis import ProjectResult

    monkeypatch.setattr(ProjectResult, "schedule", lambda self, status=True, as_of=None: None)
    for template in TEMPLATES:
        for fmt in ("md", "html"):
            r = run("report", str(ACME), "-t", template, "-f", fmt, "--as-of", AS_OF)
            assert r.exit_code == 0, (template, fmt, r.stderr)
            assert "Incomplete report" in r.stdout and "schedule" in r.stdout


def test_describe_worktree(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    assert real_describe_worktree(outside) == {"commit": None, "dirty": False}
    repo = tmp_path / "repo"
    (repo / "proj").mkdir(parents=True)
    (repo / "proj" / "project.yaml").write_text("kapm: 1\n", encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "one")
    clean = real_describe_worktree(repo / "proj")
    assert re.fullmatch(r"[0-9a-f]{40}", clean["commit"]) and clean["dirty"] is False
    (repo / "other.txt").write_text("elsewhere", encoding="utf-8")
    assert real_describe_worktree(repo / "proj")["dirty"] is False  # changes outside the project folder
    (repo / "proj" / "project.yaml").write_text("kapm: 1\n# edited\n", encoding="utf-8")
    assert real_describe_worktree(repo / "proj") == {"commit": clean["commit"], "dirty": True}


def test_steering_report_charts_the_milestone_trend(tmp_path, monkeypatch):
    """With git history, the steering report shows each milestone's forecast per commit and
    the commit that moved it, in both formats; the chart is inline SVG."""
    import shutil
    import subprocess

    import kapm.trend

    monkeypatch.setattr(kapm.trend, "for_report", real_for_report)
    repo = tmp_path / "repo"
    shutil.copytree(ACME, repo)
    env = {"GIT_AUTHOR_DATE": "2026-11-02T10:00:00", "GIT_COMMITTER_DATE": "2026-11-02T10:00:00",
           "HOME": str(tmp_path), "PATH": __import__("os").environ["PATH"]}

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], cwd=repo, check=True,
                       capture_output=True, env=env)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "baseline plan")
    tasks = repo / "accounts/acme/erp-rollout/tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    hypercare = "name: 上线支持 Hypercare\n        duration: 10d"  # on the critical path
    assert hypercare in text
    tasks.write_text(text.replace(hypercare, hypercare.replace("10d", "15d")), encoding="utf-8")
    env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = "2026-11-09T10:00:00"
    git("commit", "-qam", "SIT takes longer | vendor delay")
    project = repo / "accounts/acme/erp-rollout"
    monkeypatch.chdir(repo)
    md = run("report", str(project), "-t", "steering", "--as-of", AS_OF)
    assert md.exit_code == 0, md.stderr
    section = md.stdout.split("### Milestone trend", 1)[1].split("###", 1)[0]
    assert "Forecasts at each of the 2 commits" in section
    finish = next(line for line in section.splitlines() if line.startswith("| Project finish"))
    cells = [c.strip() for c in finish.strip("|").split("|")]
    assert cells[3] != "+0" and cells[3].startswith("+")  # the finish moved later
    assert "SIT takes longer \\| vendor delay" in finish  # the commit that moved it, escaped
    html = run("report", str(project), "-t", "steering", "-f", "html", "--as-of", AS_OF)
    assert html.exit_code == 0
    part = html.stdout.split("Milestone trend", 1)[1]
    assert "<svg" in part.split("Resource over-allocation", 1)[0]
    assert "SIT takes longer | vendor delay" in part


def test_action_done_after_the_status_date_is_overdue_everywhere(tmp_path, monkeypatch):
    """An action due before the status date and done after it was overdue at the status
    date: the status report, rule C002 and the portfolio say the same."""
    import json

    files = {
        "project.yaml": "kapm: 1\nproject: {id: p, name: P, start: 2026-09-01, manager: pm}\n"
                        "team: [{id: pm, name: PM}]\ntasks:\n  - {id: a, name: A, duration: 5d, owner: pm}\n"
                        "log:\n  - date: 2026-11-02\n    kind: meeting\n    summary: Weekly\n    actions:\n"
                        "      - {id: A1, what: Send the plan, owner: pm, due: 2026-11-09, done: 2026-12-01}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    check = run("check", ".", "--as-of", "2026-11-20", "--select", "C002", "--format", "json")
    assert [f["code"] for f in json.loads(check.stdout)["findings"]] == ["C002"]
    folio = run("portfolio", ".", "--as-of", "2026-11-20", "--format", "json")
    assert json.loads(folio.stdout)["accounts"][0]["projects"][0]["overdue_actions"] == 1
    from kapm.analysis import analyze
    from kapm.report.context import build_context

    from datetime import date

    day = date(2026, 11, 20)
    ctx = build_context(analyze([tmp_path], as_of=day).projects[0], day, "en")
    assert [a["id"] for a in ctx["actions"]["overdue"]] == ["A1"]


def test_risk_pills_and_high_count_follow_the_configured_thresholds(project_dir):
    """The risks report colours and counts risks by kapm.yaml, not by the defaults."""
    files = dict(PROJECT)
    files["risks.yaml"] = ("kapm: 1\nrisks:\n"
                           "  - {id: R1, title: One, probability: 4, impact: 4, owner: pm, reviewed: 2026-11-10}\n"
                           "  - {id: R2, title: Two, probability: 3, impact: 4, owner: pm, reviewed: 2026-11-10}\n"
                           "  - {id: R3, title: Three, probability: 2, impact: 5, owner: pm, reviewed: 2026-11-10}\n")
    project_dir(files)
    html = run("report", "-t", "risks", "-f", "html", "--as-of", AS_OF).stdout
    md = run("report", "-t", "risks", "--as-of", AS_OF).stdout
    assert "3 open risks, 3 of them with a score of 10 or more." in md
    def pills(html):  # the score pill of each risk heading
        return dict(re.findall(r'<h3>(R\d) — \w+ <span class="pill (\w+)">', html))

    assert pills(html) == {"R1": "red", "R2": "amber", "R3": "amber"}  # 16, 12, 10 by 15 / 10
    (Path(".") / "kapm.yaml").write_text("kapm: 1\nrules:\n  settings: {high_risk_score: 12}\n"
                                         "health: {risk_red_score: 12, risk_amber_score: 11}\n", encoding="utf-8")
    html = run("report", "-t", "risks", "-f", "html", "--as-of", AS_OF).stdout
    md = run("report", "-t", "risks", "--as-of", AS_OF).stdout
    zh = run("report", "-t", "risks", "--lang", "zh", "--as-of", AS_OF).stdout
    assert "3 open risks, 2 of them with a score of 12 or more." in md
    assert "其中 2 项分值不低于 12" in zh
    assert pills(html) == {"R1": "red", "R2": "red", "R3": "green"}  # by 12 / 11
