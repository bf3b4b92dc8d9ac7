"""The schedule adapter (kapm.schedule): model → calendar → CPM → dates (SPEC §3, §4).

Projects are written to tmp_path and go through the whole pipeline, so these tests
also cover the YAML → model → schedule path.  Dates are hand-worked (project start
Mon 2024-01-08 without holidays unless a test says otherwise).
"""

from datetime import date

import pytest

from conftest import write_files

D = date.fromisoformat


def plan(tmp_path, monkeypatch, body: str, *, as_of="2024-01-08", status=False, start="2024-01-08",
         head: str = "", files: dict | None = None):
    """Schedule a project whose tasks section is ``body``."""
    from kapm.analysis import analyze

    monkeypatch.chdir(tmp_path)
    text = f"kapm: 1\nproject:\n  id: p\n  name: P\n  start: {start}\n{head}tasks:\n{body}"
    write_files(tmp_path, {"project.yaml": text, **(files or {})})
    result = analyze([tmp_path], as_of=D(as_of))
    (proj,) = result.projects
    return proj.schedule(status=status, as_of=D(as_of)), proj


def dates(sch, tid):
    t = sch.by_id[tid]
    return str(t.start), str(t.finish)


def test_spec_worked_examples(tmp_path, monkeypatch):
    sch, _ = plan(tmp_path, monkeypatch, """\
  - {id: A, name: A, duration: 3d}
  - {id: B, name: B, duration: 1d, depends: [A]}
  - {id: C, name: C, duration: 1d, depends: [A+2d]}
  - {id: D, name: D, duration: 1d, depends: ["SS:A+1d"]}
  - {id: M, name: M, milestone: true, depends: [A]}
  - {id: E, name: E, duration: 5d, depends: [M]}
  - {id: F, name: F, duration: 5d, not_before: 2024-01-10}
""")
    assert dates(sch, "A") == ("2024-01-08", "2024-01-10")
    assert dates(sch, "B")[0] == "2024-01-11"
    assert dates(sch, "C")[0] == "2024-01-15"
    assert dates(sch, "D")[0] == "2024-01-09"
    assert dates(sch, "M") == ("2024-01-10", "2024-01-10")
    assert dates(sch, "E") == ("2024-01-11", "2024-01-17")
    assert dates(sch, "F") == ("2024-01-10", "2024-01-16")  # 5d from Wed ends Tue
    assert sch.start == D("2024-01-08") and sch.finish == D("2024-01-17")
    assert sch.as_of is None
    m = sch.by_id["M"]
    assert m.milestone and m.duration == 0 and (m.es, m.ef) == (3, 3)


def test_milestone_on_day_zero_and_not_before(tmp_path, monkeypatch):
    sch, _ = plan(tmp_path, monkeypatch, """\
  - {id: kickoff, name: Kick-off, milestone: true}
  - {id: m-wed, name: M, milestone: true, not_before: 2024-01-10}
  - {id: m-sat, name: M, milestone: true, not_before: 2024-01-13}
  - {id: after-sat, name: T, duration: 1d, depends: [m-sat]}
""")
    assert dates(sch, "kickoff") == ("2024-01-08", "2024-01-08")
    assert dates(sch, "m-wed")[0] == "2024-01-10"  # displayed no earlier than D
    assert dates(sch, "m-sat")[0] == "2024-01-15"  # D not a working day: the next one
    assert dates(sch, "after-sat")[0] == "2024-01-16"


def test_pert_estimate_rounds_half_up(tmp_path, monkeypatch):
    sch, _ = plan(tmp_path, monkeypatch, """\
  - id: spec
    name: Spec
    estimate: {optimistic: 4d, likely: 6d, pessimistic: 12d}
  - {id: half, name: H, estimate: {optimistic: 1d, likely: 1d, pessimistic: 4d}}
""")
    assert sch.by_id["spec"].duration == 7  # (4 + 24 + 12) / 6 = 6.67
    assert sch.by_id["half"].duration == 2  # (1 + 4 + 4) / 6 = 1.5 → 2
    assert dates(sch, "spec") == ("2024-01-08", "2024-01-16")


def test_summaries_expand_dependencies_and_roll_up(tmp_path, monkeypatch):
    sch, _ = plan(tmp_path, monkeypatch, """\
  - id: design
    name: Design
    tasks:
      - {id: d1, name: D1, duration: 2d, progress: 50}
      - {id: d2, name: D2, duration: 4d}
  - id: build
    name: Build
    depends: [design]
    tasks:
      - {id: b1, name: B1, duration: 1d}
      - id: b-sub
        name: Sub
        tasks:
          - {id: b2, name: B2, duration: 3d}
  - {id: ship, name: Ship, milestone: true, depends: [b2]}
""")
    # dependency on a summary = on all its leaves (d2 is the longer one)
    assert dates(sch, "b1")[0] == "2024-01-12"
    # dependency of a summary applies to every leaf, nested ones too
    assert dates(sch, "b2") == ("2024-01-12", "2024-01-16")
    d = sch.by_id["design"]
    assert d.summary and (str(d.start), str(d.finish)) == ("2024-01-08", "2024-01-11")
    assert d.duration == 4 and d.children == ["d1", "d2"]
    assert d.progress == pytest.approx(100 / 6)  # (2 × 50 + 4 × 0) / 6
    assert d.state == "in_progress"  # one leaf in progress, one not started
    b = sch.by_id["build"]
    assert (str(b.start), str(b.finish)) == ("2024-01-12", "2024-01-16")
    # floats: b1 has 2 days of slack before the project finish; the summary takes the minimum
    assert sch.by_id["b1"].total_float == 2 and b.total_float == 0
    assert sch.by_id["d1"].total_float == 2 and d.total_float == 0 and d.critical
    assert [t.id for t in sch.tasks] == ["design", "d1", "d2", "build", "b1", "b-sub", "b2", "ship"]
    assert [t.wbs for t in sch.tasks] == ["1", "1.1", "1.2", "2", "2.1", "2.2", "2.2.1", "3"]
    assert sch.by_id["b2"].parent == "b-sub"
    assert sch.critical_path == ["d2", "b2", "ship"]


def test_task_state_from_data(tmp_path, monkeypatch):
    from kapm.schedule import task_state

    sch, _ = plan(tmp_path, monkeypatch, """\
  - {id: a, name: A, duration: 2d, progress: 100}
  - {id: b, name: B, duration: 2d, actual_finish: 2024-01-09}
  - {id: c, name: C, duration: 2d, progress: 10}
  - {id: d, name: D, duration: 2d, actual_start: 2024-01-08}
  - {id: e, name: E, duration: 2d}
""")
    assert [sch.by_id[x].state for x in "abcde"] == ["done", "done", "in_progress", "in_progress", "not_started"]
    assert task_state(sch.by_id["e"].task) == "not_started"


def test_deadlines_give_negative_float(tmp_path, monkeypatch):
    sch, _ = plan(tmp_path, monkeypatch, """\
  - {id: a, name: A, duration: 5d}
  - {id: b, name: B, duration: 5d, depends: [a], deadline: 2024-01-17}
  - {id: c, name: C, duration: 1d}
""", head="  deadline: 2024-01-31\n")
    b = sch.by_id["b"]
    assert dates(sch, "b") == ("2024-01-15", "2024-01-19")
    assert b.total_float == -2 and b.critical and sch.by_id["a"].total_float == -2
    assert str(b.late_finish) == "2024-01-17"
    assert sch.by_id["c"].total_float == 9  # up to the project finish (the deadline is later)
    assert sch.slip_days < 0 and sch.deadline == D("2024-01-31")


def test_project_deadline_and_slip(tmp_path, monkeypatch):
    sch, _ = plan(tmp_path, monkeypatch, """\
  - {id: a, name: A, duration: 10d}
  - {id: m, name: M, milestone: true, depends: [a], deadline: 2024-01-19}
""", head="  deadline: 2024-01-18\n")
    assert sch.finish == D("2024-01-19") and sch.slip_days == 1
    assert sch.by_id["a"].total_float == -1 and sch.by_id["m"].total_float == -1
    # a deadline on the milestone's own day is met (F ≤ last(D) + 1)
    assert sch.by_id["m"].ef == sch.calendar.last_index(D("2024-01-19")) + 1


def test_forecast_honours_actuals_and_status_date(tmp_path, monkeypatch):
    body = """\
  - {id: a, name: A, duration: 3d, actual_start: 2024-01-08, actual_finish: 2024-01-11}
  - {id: b, name: B, duration: 10d, depends: [a], actual_start: 2024-01-12, progress: 50}
  - {id: c, name: C, duration: 2d}
  - {id: d, name: D, duration: 2d, depends: [b]}
  - {id: e, name: E, duration: 4d, actual_start: 2024-01-09, remaining: 1d}
  - {id: f, name: F, duration: 3d, progress: 100}
"""
    fc, _ = plan(tmp_path, monkeypatch, body, as_of="2024-01-17", status=True)
    assert fc.as_of == D("2024-01-17")
    assert dates(fc, "a") == ("2024-01-08", "2024-01-11")  # actual dates, one day late
    # in progress: keeps its start; 5 days remaining from the status date
    assert dates(fc, "b") == ("2024-01-12", "2024-01-23")
    assert fc.by_id["b"].remaining == 5
    assert dates(fc, "c")[0] == "2024-01-17"  # not started: not before the status date
    assert dates(fc, "d")[0] == "2024-01-24"
    assert dates(fc, "e") == ("2024-01-09", "2024-01-17")  # remaining: 1d wins over progress
    assert fc.by_id["f"].state == "done" and dates(fc, "f") == ("2024-01-08", "2024-01-10")
    done = fc.by_id["a"]
    assert done.total_float == 0 and not done.critical and done.free_float == 0
    pl, _ = plan(tmp_path, monkeypatch, body, as_of="2024-01-17", status=False)
    assert dates(pl, "a") == ("2024-01-08", "2024-01-10") and dates(pl, "c")[0] == "2024-01-08"
    assert pl.as_of is None and pl.status_index is None


def test_remaining_rounds_up(tmp_path, monkeypatch):
    fc, _ = plan(tmp_path, monkeypatch, """\
  - {id: a, name: A, duration: 5d, progress: 30}
  - {id: b, name: B, duration: 3d, progress: 33.4}
""", as_of="2024-01-08", status=True)
    assert fc.by_id["a"].remaining == 4  # ceil(5 × 0.7 = 3.5)
    assert fc.by_id["b"].remaining == 2  # ceil(3 × 0.666)


def test_chinese_calendar_from_the_model(tmp_path, monkeypatch):
    # CN 2026: National Day Oct 1-7 (Oct 1-3, 5-7 off), make-up Saturday Oct 10 and Sunday Sep 20
    body = """\
  - {id: a, name: 国庆前后 Around National Day, duration: 6d}
  - {id: b, name: 之后 After, duration: 1d, depends: [a]}
"""
    sch, _ = plan(tmp_path, monkeypatch, body, start="2026-09-28")
    # without a calendar: plain Mon–Fri
    assert dates(sch, "a") == ("2026-09-28", "2026-10-05")
    sch, _ = plan(tmp_path, monkeypatch, body, start="2026-09-28",
                  files={"calendar.yaml": "kapm: 1\ncalendar:\n  country: CN\n  holidays: [2026-10-12]\n"})
    assert dates(sch, "a") == ("2026-09-28", "2026-10-10")  # Sep 28-30, Oct 8, 9 and Saturday Oct 10
    assert dates(sch, "b") == ("2026-10-13", "2026-10-13")  # Oct 12 is the project's own holiday
    sch, _ = plan(tmp_path, monkeypatch, "  - {id: a, name: A, duration: 2d}\n", start="2026-09-18",
                  files={"calendar.yaml": "kapm: 1\ncalendar: {country: CN}\n"})
    assert dates(sch, "a") == ("2026-09-18", "2026-09-20")  # the make-up Sunday is a working day


def test_workspace_calendar_is_the_default(tmp_path, monkeypatch):
    sch, _ = plan(tmp_path, monkeypatch, "  - {id: a, name: A, duration: 6d}\n", start="2026-09-28",
                  files={"kapm.yaml": "kapm: 1\ncalendar: {country: CN}\n"})
    assert dates(sch, "a") == ("2026-09-28", "2026-10-10")


def test_critical_float_threshold_from_settings(tmp_path, monkeypatch):
    body = "  - {id: a, name: A, duration: 5d}\n  - {id: b, name: B, duration: 3d}\n"
    sch, _ = plan(tmp_path, monkeypatch, body)
    assert [sch.by_id[x].critical for x in "ab"] == [True, False]
    sch, _ = plan(tmp_path, monkeypatch, body,
                  files={"kapm.yaml": "kapm: 1\nrules:\n  settings: {critical_float: 2}\n"})
    assert sch.critical_float == 2 and [sch.by_id[x].critical for x in "ab"] == [True, True]


@pytest.mark.parametrize("body,why", [
    ("  - {id: a, name: A, duration: 1d, depends: [zz]}\n", "R001"),
    ("  - {id: a, name: A, duration: 1d, depends: [b]}\n  - {id: b, name: B, duration: 1d, depends: [a]}\n",
     "P001"),
    ("  - {id: a, name: A, duration: 1d}\n  - {id: a, name: A2, duration: 1d}\n", "R003"),
    ("  - id: s\n    name: S\n    tasks:\n      - {id: a, name: A, duration: 1d, depends: [s]}\n", "P001"),
])
def test_unschedulable_projects_get_none(tmp_path, monkeypatch, body, why):
    from kapm.schedule import unschedulable_reason

    sch, proj = plan(tmp_path, monkeypatch, body)
    assert sch is None
    assert why in unschedulable_reason(proj)


def test_schedule_is_cached_per_variant(tmp_path, monkeypatch):
    sch, proj = plan(tmp_path, monkeypatch, "  - {id: a, name: A, duration: 1d}\n")
    assert proj.schedule(status=False, as_of=D("2024-01-08")) is sch
    assert proj.schedule(status=True, as_of=D("2024-01-08")) is not sch


def test_single_milestone_plan(tmp_path, monkeypatch):
    sch, _ = plan(tmp_path, monkeypatch, "  - {id: m, name: M, milestone: true}\n")
    assert sch.finish == sch.start == D("2024-01-08") and sch.critical_path == ["m"]


TJP = """\
project kapm "summaries" 2024-01-08 +1y {
  timezone "UTC"
}
task design "Design" {
  start 2024-01-08
  task d1 "D1" { length 2d }
  task d2 "D2" { length 4d }
}
task build "Build" {
  depends design
  task b1 "B1" { length 1d }
  task bsub "Sub" {
    task b2 "B2" { length 3d }
    task b3 "B3" { length 1d depends build.bsub.b2 }
  }
}
task ss "SS on summary" { depends design { onstart gaplength 1d } length 2d }
task ship "Ship" { milestone depends build }
task after "After" { length 1d depends ship }
taskreport "out" {
  formats csv
  columns id, start, end
  timeformat "%Y-%m-%d %H:%M"
}
"""
SUMMARY_YAML = """\
  - id: design
    name: Design
    tasks:
      - {id: d1, name: D1, duration: 2d}
      - {id: d2, name: D2, duration: 4d}
  - id: build
    name: Build
    depends: [design]
    tasks:
      - {id: b1, name: B1, duration: 1d}
      - id: bsub
        name: Sub
        tasks:
          - {id: b2, name: B2, duration: 3d}
          - {id: b3, name: B3, duration: 1d, depends: [b2]}
  - {id: ss, name: SS, duration: 2d, depends: ["SS:design+1d"]}
  - {id: ship, name: Ship, milestone: true, depends: [build]}
  - {id: after, name: After, duration: 1d, depends: [ship]}
"""


def test_summary_expansion_matches_tj3(tmp_path, monkeypatch):
    """Containers in tj3: a dependency of a container applies to its children, one on a
    container waits for its end (SS here: every leaf starts on day 0, where kapm's
    "all leaves" and tj3's "container start" agree; see docs/scheduling.md)."""
    import csv
    import subprocess

    import tj3util

    if tj3util.tj3_path() is None:
        pytest.skip("tj3 not installed: apt-get install tj3 (TaskJuggler)")
    work = tmp_path / "tj3"
    work.mkdir()
    (work / "s.tjp").write_text(TJP, encoding="utf-8")
    subprocess.run([tj3util.tj3_path(), "--no-color", "--silent", "-o", str(work), str(work / "s.tjp")],
                   check=True, capture_output=True, timeout=120)
    (tmp_path / "kapm").mkdir()
    sch, _ = plan(tmp_path / "kapm", monkeypatch, SUMMARY_YAML)
    cal = sch.calendar
    with open(work / "out.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            tid = row["Id"].rsplit(".", 1)[-1]
            start, end = row["Start"], row["End"]
            s = D(start[:10])
            if int(start[11:13]) >= 12:  # starts after the end of that day
                s = cal.date(cal.last_index(s) + 1)
            e = D(end[:10])
            if int(end[11:13]) < 12:
                e = cal.date(cal.index(e) - 1)
            t = sch.by_id[tid]
            if t.milestone:
                s = e  # a milestone shows the day it ends
            assert (t.start, t.finish) == (s, e), f"{tid}: kapm {t.start}..{t.finish}, tj3 {s}..{e}"


def _summary_pair_project(typ: str, lag: str = "") -> dict:
    dep = f'"{typ}:p1{lag}"' if typ != "FS" else f'"p1{lag}"'
    return {
        "project.yaml": "kapm: 1\nproject: {id: s2s, name: S, start: 2024-01-08}\n",
        "tasks.yaml": "kapm: 1\ntasks:\n"
        "  - id: p1\n    name: P1\n    tasks:\n"
        "      - {id: a1, name: A1, duration: 3d}\n      - {id: a2, name: A2, duration: 5d}\n"
        "      - {id: a3, name: A3, duration: 2d, depends: [a1]}\n"
        f"  - id: p2\n    name: P2\n    depends: [{dep}]\n    tasks:\n"
        "      - {id: b1, name: B1, duration: 2d}\n      - {id: b2, name: B2, duration: 4d}\n"
        "      - {id: b3, name: B3, duration: 1d, depends: [b1]}\n",
    }


def _direct(sched_files, tmp_path, typ, lag):
    """The same plan with the summary link written out leaf by leaf (|A| x |B| links)."""
    files = _summary_pair_project(typ, lag)
    leaves = ["a1", "a2", "a3"]
    pre = "" if typ == "FS" else f"{typ}:"
    deps = ", ".join(f'"{pre}{a}{lag}"' for a in leaves)
    files["tasks.yaml"] = (files["tasks.yaml"].replace(f"    depends: [{files['tasks.yaml'].split('depends: [')[2].split(']')[0]}]\n", "")
                           .replace("{id: b1, name: B1, duration: 2d}", f"{{id: b1, name: B1, duration: 2d, depends: [{deps}]}}")
                           .replace("{id: b2, name: B2, duration: 4d}", f"{{id: b2, name: B2, duration: 4d, depends: [{deps}]}}")
                           .replace("depends: [b1]}\n", f"depends: [b1, {deps}]}}\n"))
    return files


@pytest.mark.parametrize("typ,lag", [("FS", ""), ("FS", "+2d"), ("SS", "+1d"), ("FF", ""), ("SF", "+3d"),
                                     ("FS", "-1d")])
def test_summary_to_summary_link_is_linear_and_exact(tmp_path, typ, lag):
    """A link between two multi-leaf summaries goes through a virtual join node: same dates,
    floats and critical path as writing every leaf-to-leaf link out."""
    from datetime import date

    from kapm.analysis import analyze

    from conftest import write_files

    a = write_files(tmp_path / "join", _summary_pair_project(typ, lag))
    b = write_files(tmp_path / "direct", _direct(None, tmp_path, typ, lag))
    ra = analyze([a], as_of=date(2024, 1, 8)).projects[0]
    rb = analyze([b], as_of=date(2024, 1, 8)).projects[0]
    for status in (False, True):
        sa = ra.schedule(status=status, as_of=date(2024, 1, 8))
        sb = rb.schedule(status=status, as_of=date(2024, 1, 8))
        assert sa is not None and sb is not None
        for ta in sa.tasks:
            tb = sb.by_id[ta.id]
            assert (ta.start, ta.finish, ta.late_start, ta.late_finish, ta.total_float, ta.free_float,
                    ta.critical) == (tb.start, tb.finish, tb.late_start, tb.late_finish, tb.total_float,
                                     tb.free_float, tb.critical), ta.id
        assert sa.critical_paths == sb.critical_paths
        assert sa.finish == sb.finish
        assert all(p in sa.by_id and s in sa.by_id for p, s, _t, _l in sa.links)


def test_milestone_with_only_an_actual_start_is_reached_on_that_date(tmp_path):
    from datetime import date

    from kapm.analysis import analyze

    write_files(tmp_path, {"project.yaml": "kapm: 1\nproject: {id: p, name: P, start: 2026-09-01}\ntasks:\n"
                           "  - {id: a, name: A, duration: 3d, actual_start: 2026-09-01, actual_finish: 2026-09-03}\n"
                           "  - {id: m, name: M, milestone: true, depends: [a], actual_start: 2026-09-04}\n"
                           "  - {id: b, name: B, duration: 2d, depends: [m]}\n"})
    sch = analyze([tmp_path], as_of=date(2026, 9, 4)).projects[0].schedule(status=True, as_of=date(2026, 9, 4))
    m = sch.by_id["m"]
    assert (m.state, m.finish) == ("done", date(2026, 9, 4))
