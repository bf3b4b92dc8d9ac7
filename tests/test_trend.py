"""kapm trend on the scripted history of test_history (see its docstring for the dates)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from test_history import PROJECT, run, scripted, _template  # noqa: F401  (fixtures)

MESSAGES = ["Plan created", "Design started late", "Add data migration (CR-1 proposed)", "Broken edit",
            "Design done, build +5d, CR-1 approved"]
DATES = ["2026-09-01", "2026-09-14", "2026-09-21", "2026-09-28", "2026-10-05"]
FINISH = {0: "2026-10-16", 1: "2026-10-20", 2: "2026-10-27", 4: "2026-11-06"}


def _point(ids, i):
    return {"commit": ids[i], "date": DATES[i], "as_of": DATES[i], "message": MESSAGES[i], "finish": FINISH[i],
            "milestones": {"kickoff": "2026-09-07", "go-live": FINISH[i]}}


def _moves(ids, i, before, after, delta):
    return [{"milestone": m, "commit": ids[i], "date": DATES[i], "message": MESSAGES[i], "from": before,
             "to": after, "delta_days": delta} for m in (None, "go-live")]


def test_trend_json(scripted):
    repo, ids = scripted
    r = run("trend", PROJECT, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d == {
        "project": "erp",
        "as_of": None,
        "points": [_point(ids, i) for i in (0, 1, 2, 4)],
        "skipped": [{"commit": ids[3], "reason": f"{PROJECT}/tasks.yaml:5: S002 task 'build', duration: '5x' is "
                                                 "not a duration; write working days like 5d, 2w or 0d"}],
        "moves": (_moves(ids, 1, "2026-10-16", "2026-10-20", 2) + _moves(ids, 2, "2026-10-20", "2026-10-27", 5)
                  + _moves(ids, 4, "2026-10-27", "2026-11-06", 8)),
    }


def test_trend_since_revision_and_date(scripted):
    repo, ids = scripted
    d = json.loads(run("trend", PROJECT, "--format", "json", "--since", ids[2]).stdout)
    assert [p["commit"] for p in d["points"]] == [ids[2], ids[4]]
    assert [s["commit"] for s in d["skipped"]] == [ids[3]]
    d = json.loads(run("trend", PROJECT, "--format", "json", "--since", "v1.0").stdout)
    assert [p["commit"] for p in d["points"]] == [ids[0], ids[1], ids[2], ids[4]]
    d = json.loads(run("trend", PROJECT, "--format", "json", "--since", "2026-09-14").stdout)
    assert [p["commit"] for p in d["points"]] == [ids[1], ids[2], ids[4]]
    r = run("trend", PROJECT, "--since", "2026-02-30")
    assert r.exit_code == 2 and "not a real date" in r.output
    r = run("trend", PROJECT, "--since", "nope")
    assert r.exit_code == 2 and "unknown git revision" in r.output


def test_trend_fixed_status_date(scripted):
    repo, ids = scripted
    d = json.loads(run("trend", PROJECT, "--format", "json", "--as-of", "2026-10-05").stdout)
    assert d["as_of"] == "2026-10-05"
    assert {p["as_of"] for p in d["points"]} == {"2026-10-05"}
    assert [p["date"] for p in d["points"]] == [DATES[i] for i in (0, 1, 2, 4)]
    assert d["points"][-1]["finish"] == "2026-11-06"


def test_trend_text_and_md(scripted):
    repo, ids = scripted
    r = run("trend", PROJECT)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == ("Milestone trend — erp: finish 2026-10-16 → 2026-11-06 (+15 working days) over 4 commits; "
                        "1 milestone moved; 1 skipped")
    assert "finish   2026-10-16  2026-11-06  +15    ▁▂▅█" in lines
    assert "kickoff  2026-09-07  2026-09-07  +0     ▁▁▁▁" in lines
    assert f"{ids[1][:10]}  2026-09-14  2026-10-20  2026-09-07  2026-10-20" in lines
    assert f"  2026-10-05  {ids[4][:10]}  go-live: 2026-10-27 → 2026-11-06 (+8)  {MESSAGES[4]}" in lines
    assert any(line.startswith(f"  {ids[3][:10]}  {PROJECT}/tasks.yaml:5: S002") for line in lines)
    md = run("trend", PROJECT, "--format", "md").stdout.splitlines()
    assert md[0].startswith("**kapm trend** erp: finish 2026-10-16 → 2026-11-06")
    assert "| go-live | 2026-10-16 | 2026-11-06 | +15 | ▁▂▅█ |" in md
    assert "<details><summary>Skipped commits</summary>" in md


def test_trend_svg_is_deterministic_xml(scripted):
    a = run("trend", PROJECT, "--format", "svg").stdout
    b = run("trend", PROJECT, "--format", "svg").stdout
    assert a == b
    root = ET.fromstring(a)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert len(root.findall(f"{ns}polyline")) == 3  # finish, kickoff, go-live
    assert len(root.findall(f"{ns}circle")) == 12
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "go-live" in texts and "commit date" in texts and "forecast date" in texts


def test_trend_cache_warm_run_reads_no_yaml(scripted, monkeypatch):
    from kapm.history import open_history
    from kapm.trend import replay, to_json

    repo, ids = scripted
    h = open_history(repo / PROJECT)
    with h.repo:
        cold = to_json(replay(h, h.commits()))
    h = open_history(repo / PROJECT)
    import kapm.analysis

    calls = []
    real = kapm.analysis.read_source
    monkeypatch.setattr(kapm.analysis, "read_source", lambda *a, **k: calls.append(a) or real(*a, **k))
    with h.repo:
        warm = to_json(replay(h, h.commits()))
    assert warm == cold
    assert calls == [] and h.cache.misses == 0


def test_cached_skip_reasons_follow_the_current_directory(scripted, monkeypatch):
    repo, ids = scripted
    first = json.loads(run("trend", PROJECT, "--format", "json").stdout)["skipped"]
    assert first[0]["reason"].startswith(f"{PROJECT}/tasks.yaml:5: S002")
    monkeypatch.chdir(repo / PROJECT)
    again = json.loads(run("trend", ".", "--format", "json").stdout)["skipped"]
    assert again[0]["reason"] == first[0]["reason"][len(PROJECT) + 1:]  # "tasks.yaml:5: S002 ..."


def test_trend_outside_history(tmp_path, monkeypatch):
    # a project never committed: no points, nothing skipped
    from test_history import git

    (tmp_path / "p").mkdir()
    (tmp_path / "p/project.yaml").write_text("kapm: 1\nproject: {id: p, name: P, start: 2026-09-07}\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "empty", when="2026-09-01")
    monkeypatch.chdir(tmp_path)
    r = run("trend", "p", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"project": "p", "as_of": None, "points": [], "skipped": [], "moves": []}
    assert "no commit with a valid plan" in run("trend", "p").stdout


def test_trend_parallel_and_serial_agree(scripted, monkeypatch):
    # forked workers (each a contiguous run of commits) give the same trend as one process
    from kapm.history import open_history
    from kapm.trend import replay, to_json

    repo, ids = scripted
    monkeypatch.setenv("KAPM_NO_CACHE", "1")
    from kapm.trend import _jobs

    outs = []
    for jobs in (1, 2):
        h = open_history(repo / PROJECT)
        with h.repo:
            commits = h.commits()
            assert _jobs(jobs, len(commits)) == jobs  # the parallel path is really taken
            outs.append(to_json(replay(h, commits, jobs=jobs)))
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["points"] == [_point(ids, i) for i in (0, 1, 2, 4)]


def test_trend_warm_run_loads_no_version(scripted, monkeypatch):
    # points and the calendar of the last version are cached: no version is loaded again
    from kapm.history import ProjectHistory, open_history
    from kapm.trend import replay, to_json

    repo, ids = scripted
    h = open_history(repo / PROJECT)
    with h.repo:
        cold = to_json(replay(h, h.commits()))
    monkeypatch.setattr(ProjectHistory, "at", lambda *a, **k: (_ for _ in ()).throw(AssertionError("loaded")))
    h = open_history(repo / PROJECT)
    with h.repo:
        assert to_json(replay(h, h.commits())) == cold


def test_trend_quiet_prints_only_the_table(scripted):
    repo, ids = scripted
    full = run("trend", PROJECT).stdout
    r = run("trend", PROJECT, "-q")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["commit", "date", "finish", "kickoff", "go-live"]
    assert [ln.split()[0] for ln in lines[1:]] == [ids[i][:10] for i in (0, 1, 2, 4)]
    assert "\n".join(lines) in full  # the same table as in the full output
    assert "Milestone trend" not in r.stdout and "Moves" not in r.stdout and "Skipped" not in r.stdout
    # other formats are data already: unchanged
    assert run("trend", PROJECT, "--quiet", "--format", "json").stdout == run("trend", PROJECT, "--format", "json").stdout


def _die(indexes):
    import os

    os._exit(3)


def test_trend_worker_that_dies_is_replaced(scripted, monkeypatch):
    import kapm.trend
    from kapm.history import open_history
    from kapm.trend import replay, to_json

    repo, ids = scripted
    monkeypatch.setenv("KAPM_NO_CACHE", "1")
    h = open_history(repo / PROJECT)
    with h.repo:
        serial = to_json(replay(h, h.commits(), jobs=1))
    monkeypatch.setattr(kapm.trend, "_child_chunk", _die)
    h = open_history(repo / PROJECT)
    with h.repo:
        assert to_json(replay(h, h.commits(), jobs=2)) == serial
