"""kapm.sla: request SLA breaches and lapsed communication-plan items."""

from datetime import date, datetime, timedelta, timezone

import pytest

from kapm import sla

ACCOUNT = """\
kapm: 1
account:
  id: acme
  name: ACME
  sla:
    urgent: {respond: 2h, resolve: 1d}
    normal: {respond: 1d, resolve: 10d}
"""


def _project(project_dir, body: str, *, account: bool = True, as_of=date(2026, 11, 20)):
    from kapm.analysis import analyze

    files = {"accounts/acme/erp/project.yaml": "kapm: 1\n" + body}
    if account:
        files["accounts/acme/account.yaml"] = ACCOUNT
    project_dir(files)
    result = analyze([__import__("pathlib").Path(".")], as_of=as_of)
    (proj,) = result.projects
    assert proj.model is not None, [str(f) for f in result.findings]
    return proj


def test_effective_sla_overrides_per_priority(project_dir):
    proj = _project(project_dir, "project: {id: erp, name: ERP, start: 2026-09-01, "
                                 "sla: {urgent: {respond: 1h}}}\n")
    eff = sla.effective_sla(proj)
    assert eff.urgent.respond == 60 and eff.urgent.resolve is None  # the whole priority is replaced
    assert eff.normal.respond == 24 * 60


def test_breaches(project_dir):
    proj = _project(project_dir, """\
project: {id: erp, name: ERP, start: 2026-09-01}
requests:
  - {id: A, received: 2026-11-03T09:00, summary: s, priority: urgent, responded: 2026-11-03T11:00,
     resolved: 2026-11-04T09:00}
  - {id: B, received: 2026-11-03T09:00, summary: s, priority: urgent, responded: 2026-11-03T11:01,
     resolved: 2026-11-04T09:01}
  - {id: C, received: 2026-11-19T23:58, summary: s}
  - {id: D, received: 2026-11-19T23:59, summary: s}
  - {id: E, received: 2026-11-18T10:00, summary: s, responded: 2026-11-25T10:00}
  - {id: F, received: 2026-11-03T09:00+08:00, summary: s, priority: urgent, responded: 2026-11-03T10:00}
  - {id: G, received: 2026-11-21T09:00, summary: s}
""")
    got = {(b.request_id, b.kind): b for b in sla.request_breaches(proj, date(2026, 11, 20))}
    assert ("A", "respond") not in got and ("A", "resolve") not in got  # exactly on target
    assert got[("B", "respond")].actual == 121 and got[("B", "respond")].target == 120
    assert got[("B", "respond")].breached_at == datetime(2026, 11, 3, 11, 0)
    assert got[("B", "resolve")].actual == 24 * 60 + 1
    assert got[("C", "respond")].actual is None and got[("C", "respond")].open  # due 11-20 23:58, still open
    assert ("D", "respond") not in got  # due 11-20 23:59: not past the end of the status date
    assert got[("E", "respond")].actual is None  # answered only after the status date
    assert ("F", "respond") not in got  # aware received, naive responded (same offset): 60 minutes
    assert not any(k[0] == "G" for k in got)  # received after the status date
    assert [k for k in got] == sorted(got, key=lambda k: ("ABCDEFG".index(k[0]), k[1] != "respond"))


def test_mixed_offsets_compare_as_same_zone(project_dir):
    proj = _project(project_dir, """\
project: {id: erp, name: ERP, start: 2026-09-01}
requests:
  - {id: F, received: 2026-11-03T09:00+08:00, summary: s, priority: urgent, responded: 2026-11-03T12:00}
""")
    (b,) = [b for b in sla.request_breaches(proj, date(2026, 11, 20)) if b.kind == "respond"]
    assert b.actual == 180 and b.target == 120
    assert b.breached_at == datetime(2026, 11, 3, 11, 0, tzinfo=timezone(timedelta(hours=8)))


def test_no_sla_no_breach(project_dir):
    proj = _project(project_dir, """\
project: {id: erp, name: ERP, start: 2026-09-01}
requests:
  - {id: A, received: 2026-10-01T09:00, summary: s}
""", account=False)
    assert sla.request_breaches(proj, date(2026, 11, 20)) == []


def test_lapses(project_dir):
    proj = _project(project_dir, """\
project: {id: erp, name: ERP, start: 2026-01-31}
tasks:
  - {id: m1, name: M1, milestone: true, actual_finish: 2026-02-10}
comms:
  - {id: w, name: Weekly, cadence: weekly}
  - {id: m, name: Monthly, cadence: monthly}
  - {id: q, name: Quarterly, cadence: quarterly}
  - {id: ms, name: Milestone review, cadence: milestones}
log:
  - {date: 2026-02-06, kind: report, summary: w, plan: w}
""", account=False, as_of=date(2026, 3, 3))
    lapses = {x.item_id: x for x in sla.lapsed_comms(proj, date(2026, 3, 3), 2)}
    # weekly: Fri 02-06 + 7 = Fri 02-13, + 2 working days = Tue 02-17
    assert lapses["w"].due == date(2026, 2, 17) and lapses["w"].last == date(2026, 2, 6)
    assert lapses["w"].overdue_days == 14
    # monthly from the start: 01-31 + 1 month = 02-28 (clamped, a Saturday), + 2 working days = Tue 03-03
    assert "m" not in lapses
    assert "q" not in lapses  # due 04-30 + grace
    # milestone finished 02-10: review due 02-17 + 2 working days = 02-19
    assert lapses["ms"].milestone == "m1" and lapses["ms"].due == date(2026, 2, 19)
    later = {x.item_id for x in sla.lapsed_comms(proj, date(2026, 3, 4), 2)}
    assert "m" in later


def test_grace_defaults_to_the_setting(project_dir):
    proj = _project(project_dir, """\
project: {id: erp, name: ERP, start: 2026-09-01, status: on-hold}
comms:
  - {id: w, name: Weekly, cadence: weekly}
""", account=False)
    (lapse,) = sla.lapsed_comms(proj, date(2026, 11, 20))
    assert lapse.last is None and lapse.since == date(2026, 9, 1) and lapse.due == date(2026, 9, 10)


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_closed_projects_have_no_lapses(project_dir, status):
    proj = _project(project_dir, f"""\
project: {{id: erp, name: ERP, start: 2026-09-01, status: {status}}}
comms:
  - {{id: w, name: Weekly, cadence: weekly}}
""", account=False)
    assert sla.lapsed_comms(proj, date(2026, 11, 20)) == []


def test_format_minutes():
    assert sla.format_minutes(30) == "30m"
    assert sla.format_minutes(120) == "2h"
    assert sla.format_minutes(24 * 60 + 4 * 60) == "1d 4h"
    assert sla.format_minutes(0) == "0m"


def test_working_days_between_mon_fri():
    cal = sla._MonFri()
    assert sla.working_days_between(cal, date(2026, 11, 6), date(2026, 11, 20)) == 10
    assert sla.add_working_days(cal, date(2026, 11, 13), 2) == date(2026, 11, 17)
    assert sla.add_working_days(cal, date(2026, 11, 14), 0) == date(2026, 11, 14)
