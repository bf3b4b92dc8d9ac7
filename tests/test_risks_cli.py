"""`kapm risks`: register sorted by score, 5×5 matrix of open risks, SPEC §7.3 JSON."""

import json

import pytest
from typer.testing import CliRunner

PROJECT = """\
kapm: 1
project: {id: erp, name: ERP 一期, start: 2026-09-01}
team:
  - {id: li.wei, name: 李伟}
risks:
  - {id: R1, title: Vendor late, category: external, probability: 3, impact: 4, owner: li.wei,
     strategy: mitigate, reviewed: 2026-11-16}
  - {id: R2, title: 主数据延迟 Master data late, probability: 5, impact: 4, owner: li.wei, reviewed: 2026-10-01}
  - {id: R3, title: Old risk, probability: 5, impact: 5, status: closed}
  - {id: R4, title: Never reviewed, probability: 1, impact: 2}
  - {id: R5, title: Same cell as R1, probability: 3, impact: 4, status: open}
"""

KEYS = ["id", "title", "category", "probability", "impact", "score", "strategy", "owner", "status", "reviewed",
        "days_since_review"]


@pytest.fixture
def run(project_dir):
    from kapm.cli import build_app

    project_dir({"project.yaml": PROJECT})
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(build_app(), ["risks", *args])

    return invoke


def test_json_shape_sort_and_matrix(run):
    res = run(".", "--as-of", "2026-11-20", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert list(doc) == ["project", "as_of", "risks", "matrix", "zones"]
    assert doc["zones"] == {"red": 15, "amber": 10}  # the health thresholds (kapm.yaml health)
    assert doc["project"] == "erp" and doc["as_of"] == "2026-11-20"
    assert [r["id"] for r in doc["risks"]] == ["R3", "R2", "R1", "R5", "R4"]
    assert all(list(r) == KEYS for r in doc["risks"])
    r2 = next(r for r in doc["risks"] if r["id"] == "R2")
    assert r2["score"] == 20 and r2["reviewed"] == "2026-10-01" and r2["days_since_review"] == 50
    r4 = next(r for r in doc["risks"] if r["id"] == "R4")
    assert r4["reviewed"] is None and r4["days_since_review"] is None and r4["category"] is None
    m = doc["matrix"]
    assert len(m) == 5 and all(len(row) == 5 for row in m)
    assert m[2][3] == 2  # R1 and R5: probability 3, impact 4
    assert m[4][3] == 1  # R2
    assert m[4][4] == 0  # R3 is closed: not counted
    assert m[0][1] == 1  # R4
    assert sum(map(sum, m)) == 4


def test_table(run):
    res = run(".", "--as-of", "2026-11-20")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "as of 2026-11-20" in out
    assert out.index("R2") < out.index("R1") < out.index("R4")  # highest score first
    assert "Probability × impact" in out
    assert "red ≥ 15, amber ≥ 10" in out
    assert "\x1b[" not in out  # NO_COLOR
    matrix_rows = [line for line in out.splitlines() if line.startswith("│")]
    row3 = next(line for line in matrix_rows if line.split("│")[1].strip() == "3")
    assert [c.strip() for c in row3.split("│")[2:7]] == [". G", ". G", ". G", "2 A", ". R"]  # scores 3 6 9 12 15
    assert "50 !" in out  # R2 not reviewed for 50 days (> 30)


def test_usage_errors(run, project_dir):
    for args, needle in (([".", "--format", "xml"], "unknown format"),
                         ([".", "--as-of", "2026-13-01"], "is not a date"),
                         (["does-not-exist"], "path not found")):
        res = run(*args)
        assert res.exit_code == 2 and needle in res.stderr, args


def test_several_projects_is_a_usage_error(project_dir):
    from kapm.cli import build_app

    project_dir({"a/project.yaml": PROJECT, "b/project.yaml": PROJECT.replace("id: erp", "id: crm")})
    res = CliRunner().invoke(build_app(), ["risks", ".", "--as-of", "2026-11-20"])
    assert res.exit_code == 2
    assert "erp" in res.output and "crm" in res.output


def test_invalid_project_exits_1(project_dir):
    from kapm.cli import build_app

    project_dir({"project.yaml": "kapm: 1\nproject: {id: erp, name: ERP, start: 2026-09-01}\n"
                                 "risks:\n  - {id: R1, title: Bad, probability: 9, impact: 1}\n"})
    res = CliRunner().invoke(build_app(), ["risks", ".", "--as-of", "2026-11-20"])
    assert res.exit_code == 1
    assert "S002" in res.output


def test_zones_follow_the_health_thresholds():
    from kapm.status import risk_zone

    assert [risk_zone(s, 15, 10) for s in (9, 10, 14, 15)] == ["green", "amber", "amber", "red"]
    assert [risk_zone(s, 20, 12) for s in (11, 12, 19, 20)] == ["green", "amber", "amber", "red"]
