"""CPM engine (kapm.cpm): hand-worked cases (SPEC §3, §4) and properties on random DAGs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapm.cpm import DONE, IN_PROGRESS, Activity, CycleError, Link, schedule
from kapm.workdays import WorkCalendar

A = Activity


def starts(durations, links, **kw):
    r = schedule([A(d) if isinstance(d, int) else d for d in durations], links, **kw)
    return r.es, r.ef


def test_spec_worked_examples():
    cal = WorkCalendar(dt.date(2024, 1, 8))
    r = schedule(
        [A(3), A(1), A(1), A(1), A(0), A(5, not_before=cal.index(dt.date(2024, 1, 10)))],
        [Link(0, 1), Link(0, 2, "FS", 2), Link(0, 3, "SS", 1), Link(0, 4)],
    )
    assert (cal.date(r.es[0]), cal.date(r.ef[0] - 1)) == (dt.date(2024, 1, 8), dt.date(2024, 1, 10))
    assert cal.date(r.es[1]) == dt.date(2024, 1, 11)
    assert cal.date(r.es[2]) == dt.date(2024, 1, 15)
    assert cal.date(r.es[3]) == dt.date(2024, 1, 9)
    assert cal.date(r.es[4] - 1) == dt.date(2024, 1, 10)  # milestone displayed on day S-1
    assert cal.date(r.ef[5] - 1) == dt.date(2024, 1, 16)


@pytest.mark.parametrize(
    ("kind", "lag", "start"),
    [
        ("FS", 0, 5), ("FS", 2, 7), ("FS", -2, 3),
        ("SS", 0, 0), ("SS", 1, 1), ("SS", 3, 3), ("SS", -1, 0),
        ("FF", 0, 3), ("FF", 1, 4), ("FF", -1, 2),
        ("SF", 3, 1), ("SF", 0, 0), ("SF", 9, 7),
    ],
)
def test_link_types_lags_and_leads(kind, lag, start):
    # A: 5 days from day 0 (S=0, F=5); B: 2 days.
    es, ef = starts([5, 2], [Link(0, 1, kind, lag)])
    assert (es[1], ef[1]) == (start, start + 2)


def test_sf_from_a_later_task():
    es, ef = starts([A(3, not_before=2), A(2)], [Link(0, 1, "SF", 4)])
    assert es == [2, 4] and ef == [5, 6]  # B.F >= A.S + 4 = 6


def test_milestones_at_start_and_after_tasks():
    es, ef = starts([0, 3, 0, 2], [Link(1, 2), Link(2, 3)])
    assert (es[0], ef[0]) == (0, 0)  # a milestone at the start: day 0
    assert es[2] == ef[2] == 3  # after A (days 0..2): displayed on day 2
    assert es[3] == 3  # the next working day


def test_weekends_and_holidays_through_the_calendar():
    cal = WorkCalendar(dt.date(2026, 9, 28), country="CN")  # Monday before National Day
    r = schedule([A(3), A(2)], [Link(0, 1)])
    shown = [(cal.date(s), cal.date(f - 1)) for s, f in zip(r.es, r.ef)]
    assert shown == [(dt.date(2026, 9, 28), dt.date(2026, 9, 30)), (dt.date(2026, 10, 8), dt.date(2026, 10, 9))]
    r = schedule([A(3), A(3)], [Link(0, 1)])
    assert cal.date(r.ef[1] - 1) == dt.date(2026, 10, 10)  # 调休 Saturday is a working day


def test_floats_and_critical_path():
    # A 5d, B 2d, both before C 1d.
    r = schedule([A(5), A(2), A(1)], [Link(0, 2), Link(1, 2)])
    assert r.es == [0, 0, 5] and r.lf == [5, 5, 6] and r.ls == [0, 3, 5]
    assert r.total_float == [0, 3, 0] and r.free_float == [0, 3, 0]
    assert r.critical == [True, False, True]
    assert r.critical_paths == [[0, 2]] and not r.critical_paths_truncated
    assert r.project_finish == r.anchor == 6
    assert r.driving == [True, False]


def test_free_float_without_successors_is_slack_to_project_finish():
    r = schedule([A(5), A(2)], [])
    assert r.free_float == [0, 3] and r.total_float == [0, 3]


def test_free_float_smaller_than_total_float():
    # A 1d -> B 1d -> D 1d; C 4d -> D. A, B have float 2; A's free float is 0.
    r = schedule([A(1), A(1), A(4), A(1)], [Link(0, 1), Link(1, 3), Link(2, 3)])
    assert r.total_float[:2] == [2, 2] and r.free_float[:2] == [0, 2]


def test_several_critical_paths_and_cap():
    r = schedule([A(2), A(2), A(1)], [Link(0, 2), Link(1, 2)])
    assert r.critical_paths == [[0, 2], [1, 2]]
    # a ladder of k diamonds has 2**k critical paths
    acts, links, prev = [A(1)], [], 0
    for _ in range(8):
        a, b, j = len(acts), len(acts) + 1, len(acts) + 2
        acts += [A(1), A(1), A(1)]
        links += [Link(prev, a), Link(prev, b), Link(a, j), Link(b, j)]
        prev = j
    r = schedule(acts, links, max_paths=10)
    assert len(r.critical_paths) == 10 and r.critical_paths_truncated
    assert len(schedule(acts, links, max_paths=1000).critical_paths) == 256


def test_critical_threshold():
    r = schedule([A(5), A(2)], [], critical_threshold=3)
    assert r.critical == [True, True]


def test_project_deadline_gives_negative_float():
    r = schedule([A(5), A(3)], [Link(0, 1)], project_deadline=6)
    assert r.project_finish == 8 and r.anchor == 6
    assert r.total_float == [-2, -2] and r.critical == [True, True]
    assert r.lf == [3, 6] and r.ls == [-2, 3]
    # A later project deadline changes nothing
    assert schedule([A(5), A(3)], [Link(0, 1)], project_deadline=20).total_float == [0, 0]


def test_task_deadline():
    r = schedule([A(5, deadline=4), A(3)], [Link(0, 1)])
    assert r.total_float == [-1, 0] and r.lf == [4, 8]
    r = schedule([A(5), A(0, deadline=7)], [Link(0, 1)])  # a later deadline adds no float
    assert r.total_float == [0, 0]
    r = schedule([A(5), A(0, deadline=4)], [Link(0, 1)])  # milestone deadline
    assert r.total_float == [-1, -1]


def test_not_before_and_milestone_rule():
    cal = WorkCalendar(dt.date(2024, 1, 8))
    d = dt.date(2024, 1, 13)  # a Saturday
    r = schedule([A(2, not_before=cal.index(d)), A(0, not_before=cal.index(d) + 1)], [])
    assert cal.date(r.es[0]) == dt.date(2024, 1, 15)
    assert cal.date(r.es[1] - 1) == dt.date(2024, 1, 15)  # displayed on the next working day


def test_cycle_is_an_exception_not_a_hang():
    with pytest.raises(CycleError) as exc:
        schedule([A(1), A(1), A(1)], [Link(0, 1), Link(1, 2), Link(2, 1, "SS", 0)])
    assert sorted(exc.value.cycle[:-1]) == [1, 2] and exc.value.cycle[0] == exc.value.cycle[-1]
    assert "→" in str(exc.value)
    with pytest.raises(CycleError):
        schedule([A(1)], [Link(0, 0)])


def test_bad_input():
    with pytest.raises(ValueError, match="link type"):
        schedule([A(1), A(1)], [Link(0, 1, "XX", 0)])
    with pytest.raises(ValueError, match="outside"):
        schedule([A(1)], [Link(0, 3)])
    with pytest.raises(ValueError, match="negative duration"):
        schedule([A(-1)], [])


def test_empty_plan():
    r = schedule([], [])
    assert r.project_finish == 0 and r.critical_paths == []


# -- status-date forecast (SPEC §4) ------------------------------------------------------

def test_forecast_done_in_progress_not_started():
    acts = [
        A(4, state=DONE, actual_start=0, actual_finish=5),  # took one day more
        A(3, state=IN_PROGRESS, actual_start=5, remaining=2),
        A(2),
    ]
    links = [Link(0, 1), Link(1, 2)]
    r = schedule(acts, links, status=6)
    assert (r.es, r.ef, r.resume) == ([0, 5, 8], [5, 8, 10], [0, 6, 8])
    assert r.total_float == [0, 0, 0] and r.critical == [False, True, True]
    assert r.ls[1] == 5 and r.lf == [5, 8, 10]
    assert r.critical_paths == [[1, 2]]
    # the pure plan ignores actuals and status
    p = schedule(acts, links)
    assert p.es == [0, 4, 7] and p.ef == [4, 7, 9]


def test_done_defaults_to_planned_start_and_status_finish():
    r = schedule([A(4, state=DONE), A(2)], [Link(0, 1)], status=2)
    assert r.es == [0, 2] and r.ef == [2, 4]
    r = schedule([A(1), A(4, state=DONE)], [Link(0, 1)], status=9)
    assert r.es[1] == 1 and r.ef[1] == 5  # planned start 1, finished by the status date


def test_not_started_is_pushed_to_status_date():
    r = schedule([A(2), A(0), A(3)], [Link(0, 2)], status=5)
    assert r.es == [5, 6, 7]  # milestones: status + 1 (end-of-day rule)


def test_in_progress_defaults():
    r = schedule([A(5, state=IN_PROGRESS, actual_start=1)], [], status=3)
    assert (r.es, r.resume, r.ef) == ([1], [3], [8])  # remaining defaults to the duration
    r = schedule([A(5, state=IN_PROGRESS)], [], status=3)
    assert r.es == [0]  # actual start defaults to the planned start


def test_in_progress_remaining_waits_for_predecessor():
    # B started although A is not finished: the remaining work waits (FS).
    acts = [A(3, state=IN_PROGRESS, actual_start=0, remaining=3), A(4, state=IN_PROGRESS, actual_start=1, remaining=2)]
    r = schedule(acts, [Link(0, 1)], status=2)
    assert r.ef[0] == 5 and r.resume[1] == 5 and r.ef[1] == 7 and r.es[1] == 1


def test_links_into_done_tasks_constrain_nothing():
    acts = [A(3), A(2, state=DONE, actual_start=0, actual_finish=2)]
    r = schedule(acts, [Link(0, 1)], status=4)
    assert r.es == [4, 0] and r.ef == [7, 2] and r.total_float == [0, 0] and r.critical == [True, False]


def test_forecast_with_deadline_negative_float():
    acts = [A(4, state=IN_PROGRESS, actual_start=0, remaining=4), A(2)]
    r = schedule(acts, [Link(0, 1)], status=3, project_deadline=7)
    assert r.ef == [7, 9] and r.total_float == [-2, -2]


# -- properties on random DAGs -----------------------------------------------------------

@st.composite
def dags(draw, with_deadlines=False):
    n = draw(st.integers(1, 12))
    acts = []
    for _ in range(n):
        d = draw(st.integers(0, 6))
        nb = draw(st.none() | st.integers(0, 10))
        dl = draw(st.none() | st.integers(0, 30)) if with_deadlines else None
        acts.append(A(d, not_before=nb, deadline=dl))
    links = []
    if n > 1:
        for _ in range(draw(st.integers(0, 2 * n))):
            a = draw(st.integers(0, n - 2))
            b = draw(st.integers(a + 1, n - 1))
            links.append(Link(a, b, draw(st.sampled_from(["FS", "SS", "FF", "SF"])), draw(st.integers(-3, 4))))
    perm = draw(st.permutations(range(n)))  # positions need not be topological
    acts = [acts[perm.index(i)] for i in range(n)]
    links = [Link(perm[a], perm[b], t, lag) for a, b, t, lag in links]
    return acts, links


def _bound(kind, lag, ps, pf, dur_succ):
    """Lower bound a link puts on the successor's start."""
    return {"FS": pf + lag, "SS": ps + lag, "FF": pf + lag - dur_succ, "SF": ps + lag - dur_succ}[kind]


@settings(max_examples=300, deadline=None)
@given(dags(), st.none() | st.integers(0, 60))
def test_early_schedule_is_the_least_solution(dag, project_deadline):
    acts, links = dag
    r = schedule(acts, links, project_deadline=project_deadline)
    n = len(acts)
    lower = [max(0, a.not_before or 0) for a in acts]
    for i, a in enumerate(acts):
        assert r.ef[i] == r.es[i] + a.duration and r.es[i] >= lower[i]
    tight = [r.es[i] == lower[i] for i in range(n)]
    for a, b, t, lag in links:
        bound = _bound(t, lag, r.es[a], r.ef[a], acts[b].duration)
        assert r.es[b] >= bound
        tight[b] = tight[b] or r.es[b] == bound
    assert all(tight)  # each task sits on its lower bound or on a link: nothing earlier works
    assert r.project_finish == max(r.ef)
    # the late schedule satisfies the links too, within the anchor
    for i, a in enumerate(acts):
        assert r.lf[i] <= r.anchor and r.ls[i] == r.lf[i] - a.duration
        assert r.total_float[i] == r.ls[i] - r.es[i] == r.lf[i] - r.ef[i]
        assert r.free_float[i] >= 0
    for a, b, t, lag in links:
        assert r.ls[b] >= _bound(t, lag, r.ls[a], r.lf[a], acts[b].duration)
    if project_deadline is None or project_deadline >= r.project_finish:
        assert min(r.total_float) >= 0
        assert all(r.free_float[i] <= r.total_float[i] for i in range(n))


@settings(max_examples=300, deadline=None)
@given(dags())
def test_critical_paths_chain_from_start_to_end(dag):
    acts, links = dag
    r = schedule(acts, links, max_paths=10_000)
    assert not r.critical_paths_truncated and r.critical_paths
    driving = {(a, b) for k, (a, b, _t, _l) in enumerate(links) if r.driving[k]}
    crit = {i for i in range(len(acts)) if r.critical[i]}
    for path in r.critical_paths:
        assert all(r.total_float[i] == 0 for i in path)
        assert all((x, y) in driving for x, y in zip(path, path[1:]))
        assert not any((p, path[0]) in driving for p in crit)  # starts at a start
        assert not any((path[-1], s) in driving for s in crit)  # runs to an end
    on_paths = {i for p in r.critical_paths for i in p}
    assert crit == on_paths
    assert any(r.ef[p[-1]] == r.project_finish for p in r.critical_paths)


@settings(max_examples=200, deadline=None)
@given(dags(), st.integers(0, 15), st.data())
def test_forecast_respects_status_and_links(dag, status, data):
    acts, links = dag
    plan = schedule(acts, links)
    for i, a in enumerate(acts):
        state = data.draw(st.sampled_from(["done", "in_progress", "not_started"]))
        a.state = state
        if state != "not_started" and data.draw(st.booleans()):
            a.actual_start = data.draw(st.integers(0, status))
        if state == "in_progress":
            a.remaining = data.draw(st.none() | st.integers(0, a.duration))
    r = schedule(acts, links, status=status)
    for i, a in enumerate(acts):
        st_ = a.state if not (a.state == "in_progress" and a.duration == 0) else "not_started"
        if st_ == "done":
            s0 = a.actual_start if a.actual_start is not None else plan.es[i]
            assert r.es[i] == s0 and s0 <= r.ef[i] and not r.critical[i]
        elif st_ == "in_progress":
            assert r.resume[i] >= status and r.ef[i] == r.resume[i] + (a.duration if a.remaining is None else a.remaining)
        else:
            assert r.es[i] >= status + (1 if a.duration == 0 else 0) and r.ef[i] == r.es[i] + a.duration
    for a, b, t, lag in links:
        sb = acts[b].state if not (acts[b].state == "in_progress" and acts[b].duration == 0) else "not_started"
        if sb == "done":
            continue
        work = r.ef[b] - r.resume[b]
        assert r.resume[b] >= _bound(t, lag, r.es[a], r.ef[a], work)
    assert min(r.total_float) >= 0
