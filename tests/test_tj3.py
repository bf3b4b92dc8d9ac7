"""Differential tests: kapm.cpm + kapm.workdays against TaskJuggler 3 (``tj3``).

SPEC §3 conventions verified against tj3 here (early dates of every task):

* working days = Mon–Fri minus holidays; day 0 = first working day on/after the start
  (plans start on random weekdays and weekend days);
* a task of N working days occupies N working days, skipping weekends and holidays;
* FS with lag 0 starts the next working day after the predecessor's last day;
  FS with lag L > 0 (tj3 ``gaplength``) leaves L working days in between;
* SS with lag L ≥ 0 (tj3 ``onstart``);
* milestones: after a task they carry its last day; a task after a milestone starts the
  next working day; a milestone with no predecessor sits on day 0;
* FF with lag L ≥ 0 is checked through its equivalent start constraint (tj3 cannot bind an
  ASAP task's end; see tests/tj3util.py), so FF arithmetic is only indirectly verified.

Not expressible in tj3 (covered by hand-worked tests in test_cpm.py): SF links, negative
lags, two links between the same pair, not_before, deadlines and floats, status-date
forecast, make-up working days (调休).

Set KAPM_LONG=1 to run many more plans.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

import tj3util as u
from kapm.cpm import Link

LONG = os.environ.get("KAPM_LONG") == "1"
BATCHES = 40 if LONG else 8
BATCH_SIZE = 50 if LONG else 30

pytestmark = pytest.mark.skipif(u.tj3_path() is None, reason="tj3 not installed: apt-get install tj3 (TaskJuggler)")


def _compare(plans, tmp_path):
    got = u.run_tj3(plans, tmp_path)
    failures = []
    for k, (plan, (es, ef)) in enumerate(zip(plans, got)):
        kes, kef = u.kapm_dates(plan)
        if (kes, kef) != (es, ef):
            failures.append(f"plan p{k}:\n{u.describe(plan)}\n  tj3 S={es} F={ef}")
    assert not failures, f"{len(failures)} of {len(plans)} plans differ from tj3:\n" + "\n".join(failures[:3])


def test_spec_worked_examples_with_tj3(tmp_path):
    start = dt.date(2024, 1, 8)
    plan = u.Plan(
        start,
        [3, 1, 1, 1, 0, 1],
        [Link(0, 1), Link(0, 2, "FS", 2), Link(0, 3, "SS", 1), Link(0, 4), Link(4, 5)],
    )
    _compare([plan], tmp_path)
    es, ef = u.kapm_dates(plan)
    cal = plan.calendar()
    assert [cal.date(i) for i in es[:4]] == [dt.date(2024, 1, d) for d in (8, 11, 15, 9)]
    assert cal.date(ef[0] - 1) == dt.date(2024, 1, 10)
    assert cal.date(es[4] - 1) == dt.date(2024, 1, 10)  # milestone after A
    assert cal.date(es[5]) == dt.date(2024, 1, 11)


def test_chinese_public_holidays_with_tj3(tmp_path):
    # National Day 2026 and Spring Festival 2027 as plain holidays (tj3 has no make-up days).
    import holidays

    hol = sorted(d for d in holidays.country_holidays("CN", years=[2026, 2027]) if d.weekday() < 5)
    rnd = __import__("random").Random(2026)
    plans = [u.random_plan(rnd, hol, dt.date(2026, 9, 15)) for _ in range(15)]
    plans += [u.random_plan(rnd, hol, dt.date(2027, 1, 20)) for _ in range(15)]
    _compare(plans, tmp_path)


@pytest.mark.parametrize("seed", range(BATCHES))
def test_random_plans_match_tj3(seed, tmp_path):
    _compare(u.random_batch(seed, BATCH_SIZE), tmp_path)
