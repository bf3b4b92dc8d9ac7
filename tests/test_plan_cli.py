"""`kapm plan` through Typer's CliRunner: formats, options, exit codes (SPEC §7)."""

import csv
import io
import json

from typer.testing import CliRunner

from kapm.cli import build_app

PROJECT = {
    "project.yaml": "kapm: 1\nproject: {id: p, name: 示例项目 Demo, start: 2024-01-08, deadline: 2024-01-31, "
                    "manager: pm, budget: 10000}\nteam: [{id: pm, name: 李伟}]\n",
    "tasks.yaml": """\
kapm: 1
tasks:
  - {id: kickoff, name: 启动会 Kick-off, milestone: true, owner: pm, actual_finish: 2024-01-08}
  - id: design
    name: 设计阶段 Design
    owner: pm
    tasks:
      - {id: spec, name: 需求规格说明书 Spec, duration: 3d, depends: [kickoff], owner: pm,
         actual_start: 2024-01-09, progress: 50}
      - {id: review, name: "Review: client", duration: 2d, depends: [spec], owner: pm}
  - {id: side, name: Side work, duration: 1d, depends: [kickoff], owner: pm}
  - {id: build, name: Build, duration: 4d, depends: [design], owner: pm}
  - {id: done, name: 完成 Done, milestone: true, depends: [build, side], owner: pm}
""",
}
TASK_KEYS = ["id", "name", "wbs", "parent", "summary", "milestone", "duration", "start", "finish", "late_start",
             "late_finish", "total_float", "free_float", "critical", "state", "progress", "baseline_start",
             "baseline_finish", "finish_variance"]


def run(*args):
    return CliRunner().invoke(build_app(), ["plan", *args])


def test_json_shape(project_dir):
    project_dir(PROJECT)
    r = run("--format", "json", "--as-of", "2024-01-10")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert list(doc) == ["project", "as_of", "start", "finish", "deadline", "critical_path", "tasks", "status"]
    assert (doc["project"], doc["as_of"], doc["start"], doc["deadline"]) == ("p", "2024-01-10", "2024-01-08",
                                                                            "2024-01-31")
    assert [t["id"] for t in doc["tasks"]] == ["kickoff", "design", "spec", "review", "side", "build", "done"]
    assert all(list(t) == TASK_KEYS for t in doc["tasks"])
    spec = doc["tasks"][2]
    assert (spec["wbs"], spec["parent"], spec["state"], spec["progress"]) == ("2.1", "design", "in_progress", 50)
    assert (spec["start"], spec["finish"]) == ("2024-01-09", "2024-01-11")  # 2 days left from Wed
    assert doc["finish"] == "2024-01-19" and doc["critical_path"] == ["spec", "review", "build", "done"]
    assert doc["tasks"][0]["milestone"] is True and doc["tasks"][1]["summary"] is True
    assert doc["tasks"][0]["baseline_start"] is None
    st = doc["status"]
    assert set(st) == {"evm", "health"}
    assert set(st["evm"]) == {"bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "eac", "etc", "vac"}
    assert set(st["health"]) == {"overall", "schedule", "cost", "risk", "client", "reasons"}
    assert st["health"]["overall"] in ("green", "amber", "red") and st["evm"]["cpi"] is None


def test_no_status_is_the_plan(project_dir):
    project_dir(PROJECT)
    r = run("--format", "json", "--no-status", "--as-of", "2024-01-10")
    doc = json.loads(r.stdout)
    assert r.exit_code == 0 and doc["as_of"] is None and doc["status"] is None
    spec = next(t for t in doc["tasks"] if t["id"] == "spec")
    assert (spec["start"], spec["finish"]) == ("2024-01-08", "2024-01-10")  # the plan ignores actuals


def test_critical_only(project_dir):
    project_dir(PROJECT)
    doc = json.loads(run("--format", "json", "--critical", "--as-of", "2024-01-10").stdout)
    assert [t["id"] for t in doc["tasks"]] == ["design", "spec", "review", "build", "done"]
    r = run("--critical", "--as-of", "2024-01-10")
    assert r.exit_code == 0 and "Side work" not in r.stdout and "Build" in r.stdout


def test_csv_same_columns(project_dir):
    project_dir(PROJECT)
    r = run("--format", "csv", "--as-of", "2024-01-10")
    assert r.exit_code == 0
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == TASK_KEYS and len(rows) == 8
    review = dict(zip(rows[0], rows[4]))
    assert review["name"] == "Review: client" and review["summary"] == "false" and review["critical"] == "true"
    assert review["baseline_start"] == ""


def test_table(project_dir):
    project_dir(PROJECT)
    r = run("--as-of", "2024-01-10")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "forecast as of 2024-01-10" in out and "\x1b[" not in out
    assert "需求规格说明书 Spec" in out and "◆ 启动会 Kick-off" in out
    assert "Critical path: spec → review → build → done" in out
    assert "Health:" in out and "deadline 2024-01-31 (8 working days ahead)" in out
    line = next(x for x in out.splitlines() if "需求规格说明书" in x)
    assert line.split()[0] == "2.1" and "2024-01-09" in line and "*" in line
    assert run("--as-of", "2024-01-10").stdout == out  # deterministic


def test_gantt_aligns_cjk_names(project_dir):
    from rich.cells import cell_len

    project_dir(PROJECT)
    r = run("--format", "gantt", "--as-of", "2024-01-10")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert "forecast as of 2024-01-10" in lines[0]
    assert any("│ status date 2024-01-10" in x for x in lines)
    assert "1 working day = 3 columns" in r.stdout  # a short plan is zoomed in
    base = len(lines[3]) - len(lines[3].lstrip())  # the axis starts after the name column
    rows = {x.split()[0]: x for x in lines if x[:1].isdigit() and "column" not in x}

    def at(wbs, ch):
        row = rows[wbs]
        return cell_len(row[:row.index(ch)]) - base

    assert at("1", "◆") == 2  # kick-off: end of day 0
    assert at("2.1", "█") == 3  # spec (CJK name) starts on day 1, critical
    assert at("2.2", "█") == 12  # review: day 4
    assert at("3", "▒") == 6  # side work: not started, moved to the status date (day 2)
    assert at("5", "◆") == 29  # done: end of day 9 (build runs days 6-9)
    assert lines[4].index("▼") - base == 6


def test_mermaid(project_dir):
    project_dir(PROJECT)
    r = run("--format", "mermaid", "--as-of", "2024-01-10")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "```mermaid" and lines[1] == "gantt" and lines[-1] == "```"
    assert "    dateFormat YYYY-MM-DD" in lines
    assert "    section 设计阶段 Design" in lines
    assert any(x.strip().startswith("启动会 Kick-off :done, milestone, t1, 2024-01-08, 0d") for x in lines)
    review = next(x for x in lines if "Review" in x)
    assert review.strip().startswith("Review∶ client :crit, t4, after t3, 2024-01-16")  # ':' is a separator


def test_output_file(project_dir, tmp_path):
    project_dir(PROJECT)
    r = run("--format", "json", "--as-of", "2024-01-10", "-o", "plan.json")
    assert r.exit_code == 0 and r.stdout == ""
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["project"] == "p"


def test_project_with_errors_exits_1(project_dir):
    files = dict(PROJECT)
    files["tasks.yaml"] = "kapm: 1\ntasks:\n  - {id: a, name: A, duration: 3d, depends: [zz], owner: pm}\n"
    project_dir(files)
    r = run("--as-of", "2024-01-10")
    assert r.exit_code == 1
    assert "R001 error: task 'a' depends on unknown task 'zz'" in r.stderr and r.stdout == ""


def test_usage_errors_exit_2(project_dir, tmp_path):
    project_dir({"a/project.yaml": PROJECT["project.yaml"], "b/project.yaml": PROJECT["project.yaml"].replace(
        "id: p,", "id: q,")})
    r = run("--as-of", "2024-01-10")
    assert r.exit_code == 2 and "holds 2 projects" in r.stderr
    assert run("a", "--format", "svg").exit_code == 2
    assert run("a", "--as-of", "someday").exit_code == 2
    assert run("nowhere").exit_code == 2
    assert run("a", "--as-of", "2024-01-10").exit_code == 0


def test_names_with_line_breaks_and_markup_stay_on_one_row(project_dir):
    files = dict(PROJECT)
    files["tasks.yaml"] = ('kapm: 1\ntasks:\n  - {id: a, name: "两行\\nTwo [red]lines[/red]", duration: 2d, '
                           'owner: pm}\n')
    project_dir(files)
    for fmt in ("table", "gantt"):
        r = run("--format", fmt, "--as-of", "2024-01-08")
        assert r.exit_code == 0
        row = next(x for x in r.stdout.splitlines() if "两行" in x)
        assert "两行 Two [red]lines[/red]" in row
    doc = json.loads(run("--format", "json", "--as-of", "2024-01-08").stdout)
    assert doc["tasks"][0]["name"] == "两行\nTwo [red]lines[/red]"


def test_unschedulable_without_error_findings_exits_1(project_dir):
    files = dict(PROJECT)
    files["calendar.yaml"] = "kapm: 1\ncalendar: {country: XX}\n"
    project_dir(files)
    r = run("--as-of", "2024-01-10")
    assert r.exit_code == 1 and "cannot be scheduled" in r.stderr and "unknown country" in r.stderr


def test_quiet_prints_only_the_table(project_dir):
    project_dir(PROJECT)
    r = run("-q", "--as-of", "2024-01-10")
    assert r.exit_code == 0 and "as of" not in r.stdout and "Health" not in r.stdout
    assert r.stdout.splitlines()[0].split()[:2] == ["WBS", "Task"]
