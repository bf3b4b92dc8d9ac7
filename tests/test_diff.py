"""kapm diff on the scripted history of test_history (see its docstring for the dates)."""

from __future__ import annotations

import json

from test_history import PROJECT, TASKS_V5, run, scripted, _template  # noqa: F401  (fixtures)

V1_TO_HEAD_TASKS = {
    "added": ["migration"],
    "removed": [],
    "renamed": [{"id": "test", "from": "System test", "to": "Integration test"}],
    "changed": [
        {"id": "design", "fields": {"progress": {"from": None, "to": 100},
                                    "finish": {"from": "2026-09-18", "to": "2026-09-29"}}},
        {"id": "build", "fields": {"duration": {"from": 15, "to": 20},
                                   "start": {"from": "2026-09-21", "to": "2026-10-05"},
                                   "finish": {"from": "2026-10-09", "to": "2026-10-30"}}},
        {"id": "test", "fields": {"depends": {"from": ["build"], "to": ["build", "migration"]},
                                  "start": {"from": "2026-10-12", "to": "2026-11-02"},
                                  "finish": {"from": "2026-10-16", "to": "2026-11-06"}}},
        {"id": "go-live", "fields": {"start": {"from": "2026-10-16", "to": "2026-11-06"},
                                     "finish": {"from": "2026-10-16", "to": "2026-11-06"}}},
    ],
}


def test_diff_json_baseline_to_head(scripted):
    repo, ids = scripted
    r = run("diff", "v1.0", "HEAD", PROJECT, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d == {
        "project": "erp",
        "from": {"rev": "v1.0", "commit": ids[0], "as_of": "2026-09-01", "exists": True},
        "to": {"rev": "HEAD", "commit": ids[4], "as_of": "2026-10-05", "exists": True},
        "finish": {"from": "2026-10-16", "to": "2026-11-06", "delta_days": 15},
        "deadline": {"from": None, "to": None},
        "tasks": V1_TO_HEAD_TASKS,
        # done tasks carry no float: they leave the critical path
        "critical_path": {"from": ["kickoff", "design", "build", "test", "go-live"],
                          "to": ["build", "test", "go-live"], "changed": True},
        "budget": {"from": 100000, "to": 120000},
        # EV = 120000 × 10/40 (design done) = 30000, AC = 36000: EAC = BAC / CPI = 144000
        "eac": {"from": 100000, "to": 144000},
        "risks": {"added": ["R3"], "closed": ["R2"], "rescored": [{"id": "R1", "from": 9, "to": 12}]},
        "changes": {"added": ["CR-1"], "status": []},
        "log": {"added": 1},
        "requests": {"added": 1},
    }


def test_diff_change_request_status_and_rename(scripted):
    repo, ids = scripted
    r = run("diff", ids[2], "HEAD", PROJECT, "--format", "json")
    d = json.loads(r.stdout)
    assert r.exit_code == 0
    assert d["changes"] == {"added": [], "status": [{"id": "CR-1", "from": "proposed", "to": "approved"}]}
    assert d["finish"] == {"from": "2026-10-27", "to": "2026-11-06", "delta_days": 8}
    assert d["tasks"]["added"] == [] and d["tasks"]["renamed"][0]["to"] == "Integration test"
    assert d["critical_path"]["from"] == ["design", "build", "test", "go-live"]


def test_diff_one_as_of_for_both_sides(scripted):
    r = run("diff", "v1.0", "HEAD", PROJECT, "--format", "json", "--as-of", "2026-10-05")
    d = json.loads(r.stdout)
    assert d["from"]["as_of"] == d["to"]["as_of"] == "2026-10-05"
    # v1.0 had no progress: as of 2026-10-05 nothing can start before the status date
    # (the kick-off milestone is shown on 10-05, design starts 10-06 ... go-live 11-16)
    assert d["finish"] == {"from": "2026-11-16", "to": "2026-11-06", "delta_days": -6}


def test_diff_default_is_head_against_working_tree(scripted):
    repo, ids = scripted
    r = run("diff", PROJECT, "--format", "json", "--as-of", "2026-10-05")
    d = json.loads(r.stdout)
    assert r.exit_code == 0
    assert d["from"]["commit"] == ids[4] and d["to"] == {"rev": None, "commit": None, "as_of": "2026-10-05",
                                                         "exists": True}
    assert d["tasks"] == {"added": [], "removed": [], "renamed": [], "changed": []}
    tasks = repo / PROJECT / "tasks.yaml"
    tasks.write_text(TASKS_V5.replace("duration: 20d", "duration: 22d")
                     + "  - {id: docs, name: 'Docs | <b>@team</b>', duration: 2d, depends: [test]}\n",
                     encoding="utf-8")
    r = run("diff", "--format", "json", "--as-of", "2026-10-05", PROJECT)
    d = json.loads(r.stdout)
    assert d["tasks"]["added"] == ["docs"]
    assert d["tasks"]["changed"][0] == {"id": "build", "fields": {
        "duration": {"from": 20, "to": 22}, "finish": {"from": "2026-10-30", "to": "2026-11-03"}}}
    assert d["finish"] == {"from": "2026-11-06", "to": "2026-11-12", "delta_days": 4}
    # REV_A alone: REV_A against the working tree
    r = run("diff", "HEAD", PROJECT, "--format", "json", "--as-of", "2026-10-05")
    assert json.loads(r.stdout)["tasks"]["added"] == ["docs"]
    # md: summary line first, user text escaped
    r = run("diff", PROJECT, "--format", "md", "--as-of", "2026-10-05")
    lines = r.stdout.splitlines()
    # EAC = BAC × AC / EV = 36000 × (total duration) / 10: 40 → 44 days of work
    assert lines[0] == ("**kapm diff** `erp`: finish 2026-11-06 → 2026-11-12 (+4 working days); tasks +1 \\~3; "
                        "critical path changed; EAC 144,000 → 158,400")
    assert "<details><summary>Tasks (4)</summary>" in lines
    assert "| added | `docs` | Docs \\| \\<b\\>@\u2060team\\</b\\> |" in lines
    assert "<b>" not in r.stdout


def test_diff_text_and_colour(scripted, monkeypatch):
    r = run("diff", "v1.0", "HEAD", PROJECT)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    repo, ids = scripted
    assert lines[0] == f"erp: v1.0 ({ids[0][:10]}, as of 2026-09-01) → HEAD ({ids[4][:10]}, as of 2026-10-05)"
    assert lines[1] == ("finish 2026-10-16 → 2026-11-06 (+15 working days); tasks +1 ~5; critical path changed; "
                        "EAC 100,000 → 144,000; 1 new change request")
    assert "  + migration  Data migration" in lines
    assert "  ~ build  duration 15 → 20, start 2026-09-21 → 2026-10-05, finish 2026-10-09 → 2026-10-30" in lines
    assert "  closed R2" in lines and "  ~ R1  score 9 → 12" in lines
    assert "\x1b[" not in r.stdout
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    r = run("diff", "v1.0", "HEAD", PROJECT)
    assert "\x1b[32m  + migration  Data migration\x1b[0m" in r.stdout
    r = run("diff", "v1.0", "HEAD", PROJECT, "--no-color")
    assert "\x1b[" not in r.stdout


def test_diff_invalid_side_exits_1(scripted):
    repo, ids = scripted
    r = run("diff", ids[3], "HEAD", PROJECT)
    assert r.exit_code == 1
    assert f"{PROJECT}/tasks.yaml:5:40: S002" in r.output


def test_diff_new_project_is_all_added(scripted):
    repo, ids = scripted
    (repo / "accounts/acme/crm").mkdir()
    (repo / "accounts/acme/crm/project.yaml").write_text(
        "kapm: 1\nproject: {id: crm, name: CRM, start: 2026-10-05}\n"
        "tasks:\n  - {id: a, name: A, duration: 2d}\n", encoding="utf-8")
    r = run("diff", "accounts/acme/crm", "--format", "json", "--as-of", "2026-10-05")
    d = json.loads(r.stdout)
    assert r.exit_code == 0, r.output
    assert d["from"]["exists"] is False and d["tasks"]["added"] == ["a"]
    assert d["finish"] == {"from": None, "to": "2026-10-06", "delta_days": None}


def test_diff_argument_rules(scripted):
    from kapm.commands.diff import split_args

    assert split_args([]) == ([], None)
    assert split_args(["v1.0"]) == (["v1.0"], None)
    revs, path = split_args(["v1.0", PROJECT, "HEAD"])
    assert revs == ["v1.0", "HEAD"] and str(path) == PROJECT
    r = run("diff", "a", "b", "c", PROJECT)
    assert r.exit_code == 2 and "at most two revisions" in r.output
    r = run("diff", PROJECT, PROJECT)
    assert r.exit_code == 2 and "two paths" in r.output
    r = run("diff", "nope", PROJECT)
    assert r.exit_code == 2 and "unknown git revision 'nope'" in r.output
    r = run("diff", "HEAD", PROJECT, "--format", "html")
    assert r.exit_code == 2


def test_diff_needs_exactly_one_project(scripted):
    repo, _ = scripted
    (repo / "accounts/acme/crm").mkdir()
    (repo / "accounts/acme/crm/project.yaml").write_text(
        "kapm: 1\nproject: {id: crm, name: CRM, start: 2026-10-05}\n", encoding="utf-8")
    r = run("diff", "accounts")
    assert r.exit_code == 2 and "holds 2 projects" in r.output


def test_diff_quiet_prints_only_the_changes(scripted):
    repo, ids = scripted
    full = run("diff", "v1.0", "HEAD", PROJECT).stdout
    r = run("diff", "v1.0", "HEAD", PROJECT, "-q")
    assert r.exit_code == 0, r.output
    # no title, no summary line: the sections only
    assert r.stdout == full.split("\n", 3)[3]
    assert r.stdout.startswith("Finish       2026-10-16 → 2026-11-06  +15 working days\n")
    # nothing changed: no output at all
    r = run("diff", "HEAD", "HEAD", PROJECT, "--quiet")
    assert r.exit_code == 0 and r.stdout == ""
    assert run("diff", "HEAD", "HEAD", PROJECT).stdout.splitlines()[1] == "no changes"
    # md and json are unchanged by --quiet
    assert (run("diff", "v1.0", "HEAD", PROJECT, "-q", "--format", "json").stdout
            == run("diff", "v1.0", "HEAD", PROJECT, "--format", "json").stdout)


def test_diff_sides_in_processes_agree(scripted):
    from kapm.diff import compare, load_sides, Side
    from kapm.history import open_history

    repo, ids = scripted
    records = []
    for jobs in (1, 2):
        h = open_history(repo / PROJECT)
        with h.repo:
            a, b = load_sides(h, ["v1.0", None], fixed=None, today=__import__("datetime").date(2026, 10, 20),
                              jobs=jobs)
        sides = [Side(v.label, v.commit.id if v.commit else None, v.as_of, None) for v in (a, b)]
        records.append(compare(b.project, sides[0], sides[1], a.summary, b.summary))
    assert records[0] == records[1]
    assert records[0]["eac"] == {"from": 100000, "to": 144000}


def test_diff_budget_and_eac_match_earned_value(scripted):
    # the diff computes BAC/EAC without the plan schedule; same numbers as kapm.status
    from kapm.diff import _budget_and_ev
    from kapm.history import open_history
    from kapm.status import earned_value

    repo, ids = scripted
    h = open_history(repo / PROJECT)
    with h.repo:
        versions = [h.at(i) for i in (ids[0], ids[2], ids[4])]
    for v in versions:
        for day in (v.day, v.day.replace(day=1), __import__("datetime").date(2027, 1, 1)):
            res = v.result
            mine = _budget_and_ev(res, res.schedule(status=True, as_of=day), day)
            evm = earned_value(res, day)
            assert (mine.bac, mine.ev, mine.ac, mine.eac) == (evm.bac, evm.ev, evm.ac, evm.eac)
