"""Earned value, S-curve and health (kapm.status), hand-computed (SPEC §4).

Project start Mon 2024-01-08, Mon–Fri, no holidays.
"""

from datetime import date

import pytest

from conftest import write_files

D = date.fromisoformat

TEAM = "team:\n  - {id: li, name: 李伟, rate: 1000}\n"


def project(tmp_path, monkeypatch, tasks: str, *, extra: str = "", head: str = "", files=None, as_of="2024-01-15"):
    from kapm.analysis import analyze

    monkeypatch.chdir(tmp_path)
    text = f"kapm: 1\nproject:\n  id: p\n  name: P\n  start: 2024-01-08\n{head}{TEAM}tasks:\n{tasks}{extra}"
    write_files(tmp_path, {"project.yaml": text, **(files or {})})
    (proj,) = analyze([tmp_path], as_of=D(as_of)).projects
    return proj


EVM_TASKS = """\
  - {id: a, name: A, duration: 10d, cost: 10000, actual_start: 2024-01-08, progress: 50}
  - {id: b, name: B, duration: 5d, depends: [a], assignees: {li: 50}}
"""
EVM_COSTS = """\
costs:
  - {date: 2024-01-10, amount: 4000, task: a}
  - {date: 2024-01-12, amount: 2250}
  - {date: 2024-01-20, amount: 999, task: a}
"""


def test_earned_value_hand_computed(tmp_path, monkeypatch):
    from kapm.status import earned_value

    proj = project(tmp_path, monkeypatch, EVM_TASKS, extra=EVM_COSTS)
    e = earned_value(proj, D("2024-01-15"))
    # BAC: a from its cost, b = rate 1000 × 50 % × 5 days
    assert (e.tasks["a"].bac, e.tasks["b"].bac, e.bac) == (10000, 2500, 12500)
    # PV: 5 of a's 10 planned days lie before Mon 2024-01-15; b is planned later
    assert (e.tasks["a"].pv, e.tasks["b"].pv, e.pv) == (5000, 0, 5000)
    assert (e.tasks["a"].ev, e.ev) == (5000, 5000)
    # AC: costs up to the status date; the one without a task counts for the project only
    assert (e.tasks["a"].ac, e.tasks["b"].ac, e.ac) == (4000, 0, 6250)
    assert (e.sv, e.cv) == (0, -1250)
    assert e.spi == 1.0 and e.cpi == pytest.approx(0.8)
    assert e.eac == pytest.approx(15625) and e.etc == pytest.approx(9375) and e.vac == pytest.approx(-3125)
    assert e.tasks["a"].cpi == pytest.approx(1.25)
    assert e.tasks["b"].spi is None and e.tasks["b"].cpi is None  # n/a, no division error
    assert e.as_dict()["spi"] == 1.0 and e.as_dict()["eac"] == 15625.0


def test_summary_rollup_and_summary_cost(tmp_path, monkeypatch):
    from kapm.status import earned_value

    proj = project(tmp_path, monkeypatch, """\
  - id: s
    name: S
    cost: 3000
    tasks:
      - {id: x, name: X, duration: 1d, progress: 100}
      - {id: y, name: Y, duration: 2d, cost: 500}
      - {id: z, name: Z, duration: 2d}
""", extra="costs:\n  - {date: 2024-01-08, amount: 100, task: s}\n")
    e = earned_value(proj, D("2024-01-09"))
    # the summary's cost is spread over its leaves without a budget, by duration
    assert (e.tasks["x"].bac, e.tasks["y"].bac, e.tasks["z"].bac) == (1000, 500, 2000)
    s = e.tasks["s"]
    assert s.bac == 3500 and s.ev == 1000 and s.ac == 100
    assert s.pv == pytest.approx(1000 + 250 + 1000)  # one planned day of each before Tue


def test_project_budget_spread_when_no_task_has_one(tmp_path, monkeypatch):
    from kapm.status import earned_value, task_budgets

    proj = project(tmp_path, monkeypatch, """\
  - {id: a, name: A, duration: 2d}
  - {id: b, name: B, duration: 3d, depends: [a]}
  - {id: m, name: M, milestone: true, depends: [b]}
""", head="  budget: 1000\n")
    assert task_budgets(proj) == {"a": 400, "b": 600, "m": 0}
    e = earned_value(proj, D("2024-01-08"))
    assert e.bac == 1000 and e.pv == 0 and e.spi is None


def test_undefined_ratios(tmp_path, monkeypatch):
    from kapm.status import earned_value

    proj = project(tmp_path, monkeypatch, "  - {id: a, name: A, duration: 5d, cost: 1000}\n", as_of="2024-01-01")
    e = earned_value(proj, D("2024-01-01"))
    assert (e.pv, e.ev, e.ac) == (0, 0, 0)
    assert e.spi is None and e.cpi is None
    assert e.eac == 1000 and e.etc == 1000 and e.vac == 0  # nothing spent: EAC = BAC
    # money spent, nothing earned: CPI 0, EAC undefined
    proj = project(tmp_path, monkeypatch, "  - {id: a, name: A, duration: 5d, cost: 1000}\n",
                   extra="costs:\n  - {date: 2024-01-09, amount: 300, task: a}\n")
    e = earned_value(proj, D("2024-01-15"))
    assert e.cpi == 0 and e.eac is None and e.etc is None and e.vac is None
    assert e.as_dict()["eac"] is None


def test_s_curve_weekly_points(tmp_path, monkeypatch):
    from kapm.status import s_curve

    proj = project(tmp_path, monkeypatch, EVM_TASKS, extra=EVM_COSTS)
    pts = s_curve(proj, D("2024-01-15"))
    assert [str(p.date) for p in pts] == ["2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"]
    assert [p.pv for p in pts] == [0, 5000, 10000, 12500]
    assert pts[1].ac == 6250 and pts[1].ev == pytest.approx(5000)
    assert pts[0].ev == 0 and pts[2].ev is None and pts[2].ac is None


def _health(tmp_path, monkeypatch, tasks, **kw):
    from kapm.status import health

    proj = project(tmp_path, monkeypatch, tasks, **kw)
    return health(proj, D(kw.get("as_of", "2024-01-15")))


def test_schedule_health_thresholds(tmp_path, monkeypatch):
    one = "  - {id: a, name: A, duration: 10d, cost: 1000}\n"  # finishes Fri 2024-01-19
    h = _health(tmp_path, monkeypatch, one, head="  deadline: 2024-01-19\n", as_of="2024-01-08")
    assert h.schedule == "green" and h.slip_days == 0 and "meets the deadline" in h.reasons["schedule"]
    h = _health(tmp_path, monkeypatch, one, head="  deadline: 2024-01-12\n", as_of="2024-01-08")
    assert h.schedule == "amber" and h.slip_days == 5 and "5 working days after" in h.reasons["schedule"]
    h = _health(tmp_path, monkeypatch, one, head="  deadline: 2024-01-11\n", as_of="2024-01-08")
    assert h.schedule == "red" and "slip over 5 working days" in h.reasons["schedule"]
    # a configured slip threshold
    h = _health(tmp_path, monkeypatch, one, head="  deadline: 2024-01-11\n", as_of="2024-01-08",
                files={"kapm.yaml": "kapm: 1\nhealth: {slip_amber_days: 6}\n"})
    assert h.schedule == "amber"
    # SPI: half the work planned by the status date, a tenth done → SPI 0.2 → red without a deadline
    late = "  - {id: a, name: A, duration: 10d, cost: 1000, actual_start: 2024-01-08, progress: 10}\n"
    h = _health(tmp_path, monkeypatch, late)
    assert h.spi == pytest.approx(0.2) and h.schedule == "red" and "SPI below 0.85" in h.reasons["schedule"]
    ok = "  - {id: a, name: A, duration: 10d, cost: 1000, actual_start: 2024-01-08, progress: 45}\n"
    h = _health(tmp_path, monkeypatch, ok)  # SPI 0.9: amber
    assert h.schedule == "amber" and "SPI below 0.95" in h.reasons["schedule"]


def test_cost_health_thresholds(tmp_path, monkeypatch):
    task = "  - {id: a, name: A, duration: 10d, cost: 1000, actual_start: 2024-01-08, progress: 50}\n"

    def cost(ac):
        return f"costs:\n  - {{date: 2024-01-09, amount: {ac}}}\n"

    h = _health(tmp_path, monkeypatch, task, extra=cost(500))
    assert h.cost == "green" and h.cpi == 1.0
    h = _health(tmp_path, monkeypatch, task, extra=cost(520))  # CPI 0.96, EAC 1040 ≤ 1.05 × BAC
    assert h.cost == "amber" and "EAC over BAC" in h.reasons["cost"]
    h = _health(tmp_path, monkeypatch, task, extra=cost(600))  # CPI 0.83, EAC 1200
    assert h.cost == "red" and "CPI below 0.85" in h.reasons["cost"]
    h = _health(tmp_path, monkeypatch, task)  # nothing spent: CPI n/a, EAC = BAC
    assert h.cost == "green" and h.cpi is None and "CPI n/a" in h.reasons["cost"]
    none = "  - {id: a, name: A, duration: 10d}\n"
    h = _health(tmp_path, monkeypatch, none)
    assert h.cost == "green" and "no budget" in h.reasons["cost"]


def test_risk_and_client_health(tmp_path, monkeypatch):
    task = "  - {id: a, name: A, duration: 10d}\n"

    def risks(*scores, status="open"):
        items = "".join(f"  - {{id: R{i}, title: T, probability: {p}, impact: {q}, status: {status}}}\n"
                        for i, (p, q) in enumerate(scores))
        return "risks:\n" + items

    assert _health(tmp_path, monkeypatch, task, extra=risks((3, 3))).risk == "green"
    h = _health(tmp_path, monkeypatch, task, extra=risks((2, 5), (3, 3)))
    assert h.risk == "amber" and "R0 scores 10" in h.reasons["risk"]
    assert _health(tmp_path, monkeypatch, task, extra=risks((3, 5))).risk == "red"
    assert _health(tmp_path, monkeypatch, task, extra=risks((5, 5), status="closed")).risk == "green"

    def feedback(*scores):
        return "feedback:\n" + "".join(f"  - {{date: 2024-01-0{i + 1}, csat: {c}}}\n" for i, c in enumerate(scores))

    h = _health(tmp_path, monkeypatch, task, extra=feedback(4, 4))
    assert h.client == "green" and "latest CSAT 4" in h.reasons["client"]
    h = _health(tmp_path, monkeypatch, task, extra=feedback(5, 4))
    assert h.client == "amber" and "CSAT fell from 5 to 4" in h.reasons["client"]
    h = _health(tmp_path, monkeypatch, task, extra=feedback(3, 2))
    assert h.client == "red" and h.overall == "red"
    assert "client red" in h.reasons["overall"]


def test_overall_is_the_worst(tmp_path, monkeypatch):
    h = _health(tmp_path, monkeypatch, "  - {id: a, name: A, duration: 10d}\n",
                extra="risks:\n  - {id: R1, title: T, probability: 2, impact: 5}\n")
    assert (h.schedule, h.cost, h.risk, h.client, h.overall) == ("green", "green", "amber", "green", "amber")
    assert set(h.as_dict()) == {"overall", "schedule", "cost", "risk", "client", "reasons"}
    assert set(h.reasons) == {"overall", "schedule", "cost", "risk", "client"}


def test_ramp_totals_matches_direct_sum():
    """The S-curve sweep equals summing every task's share at every sample."""
    import random

    from kapm.status import _ramp_totals, _share_before

    rnd = random.Random(3)
    items = [(rnd.choice([0, 1.5, 10, 250.0]), s, s + rnd.choice([0, 0, 1, 3, 20]))
             for s in (rnd.randint(-5, 60) for _ in range(300))]
    samples = sorted(rnd.randint(-10, 90) for _ in range(40))
    fast = _ramp_totals(items, samples)
    slow = [sum(v * _share_before(s, f, i) for v, s, f in items) for i in samples]
    assert fast == pytest.approx(slow, rel=1e-12, abs=1e-9)
