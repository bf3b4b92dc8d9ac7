"""Helpers for the differential tests against TaskJuggler 3 (``tj3``).

A *plan* is a project start date, leaf tasks (duration in working days, 0 = milestone)
and links. Plans of one *batch* share a holiday list (tj3 ``leaves`` are global) and
become top-level container tasks of one tj3 project, so one ``tj3`` run (~0.4 s)
schedules dozens of plans.

tj3 idioms used (tj3 3.7, default working hours Mon–Fri, 8 h a day):

* ``length Nd`` = N working days; ``milestone`` = 0 days;
* FS: ``depends p.a``, with ``{ gaplength Ld }`` for a lag L > 0 (gaplength is working
  time and cannot be 0);
* SS: ``depends p.a { onstart }`` (plus ``gaplength``);
* FF: tj3 cannot bind the *end* of an as-soon-as-possible task to another task, so an FF
  link is written as its equivalent start constraint for fixed-length tasks,
  B.S ≥ A.F + L − N_B: FS with gap L − N_B when that is ≥ 0, else SS with gap
  N_A + L − N_B (the generator only makes FF links where that is ≥ 0);
* SS from a milestone is written as FS (identical, S = F): tj3 3.7 aborts with a false
  "Dependency loop detected" on a gapless ``onstart`` link between two milestones;
* holidays: global ``leaves holiday "…" DATE``.

tj3 reports timestamps: a start at the beginning of a day (00:00 or 09:00) means that
day; a timestamp after midday (17:00/18:00: the end of the working day) means "after that
day". Both map onto SPEC indexes: ``index(date)`` and ``last(date) + 1``.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kapm.cpm import Activity, Link, schedule
from kapm.workdays import WorkCalendar


@dataclass
class Plan:
    start: dt.date
    durations: list[int]
    links: list[Link]
    holidays: list[dt.date] = field(default_factory=list)

    def calendar(self) -> WorkCalendar:
        return WorkCalendar(self.start, holidays=self.holidays)


def tj3_path() -> str | None:
    return shutil.which("tj3")


def random_plan(rnd: random.Random, holidays: list[dt.date], base: dt.date) -> Plan:
    n = rnd.randint(1, 14)
    start = base + dt.timedelta(days=rnd.randrange(60))
    durations = [0 if rnd.random() < 0.15 else rnd.randint(1, 8) for _ in range(n)]
    links: list[Link] = []
    seen: set[tuple[int, int]] = set()
    for b in range(1, n):
        for _ in range(rnd.choice((0, 1, 1, 2, 3))):
            a = rnd.randrange(b)
            if (a, b) in seen:
                continue
            seen.add((a, b))
            kind = rnd.choice(("FS", "FS", "SS", "FF"))
            lag = 0 if rnd.random() < 0.5 else rnd.randint(1, 4)
            if kind == "FF" and durations[a] + lag < durations[b]:
                kind = "SS"  # not expressible in tj3 (would need a negative start gap)
            links.append(Link(a, b, kind, lag))
    return Plan(start, durations, links, holidays)


def random_batch(seed: int, size: int) -> list[Plan]:
    rnd = random.Random(seed)
    base = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(600))
    holidays = sorted({base + dt.timedelta(days=rnd.randrange(180)) for _ in range(rnd.randint(0, 12))})
    return [random_plan(rnd, holidays, base) for _ in range(size)]


def _gap(lag: int) -> str:
    return f" gaplength {lag}d" if lag > 0 else ""


def to_tjp(plans: list[Plan], report: str) -> str:
    """One tj3 project with one container task per plan; report = CSV base name."""
    first = min(p.start for p in plans)
    holidays = sorted({d for p in plans for d in p.holidays})
    lines = [f'project kapm "kapm differential" {first.isoformat()} +4y {{', '  timezone "UTC"', "}"]
    lines += [f'leaves holiday "h{i}" {d.isoformat()}' for i, d in enumerate(holidays)]
    for k, plan in enumerate(plans):
        lines.append(f'task p{k} "p{k}" {{')
        lines.append(f"  start {plan.start.isoformat()}")
        inc: dict[int, list[str]] = {}
        for a, b, kind, lag in plan.links:
            if kind == "FF":
                gap = lag - plan.durations[b]
                if gap >= 0:
                    kind, lag = "FS", gap
                else:
                    kind, lag = "SS", plan.durations[a] + gap
            if kind == "SS" and plan.durations[a] == 0:
                kind = "FS"  # same thing for a milestone; tj3 3.7 reports a false loop for SS
            opts = ("onstart" if kind == "SS" else "") + _gap(lag)
            inc.setdefault(b, []).append(f"p{k}.t{a}" + (f" {{ {opts.strip()} }}" if opts.strip() else ""))
        for i, d in enumerate(plan.durations):
            body = "milestone" if d == 0 else f"length {d}d"
            if i in inc:
                body += " depends " + ", ".join(inc[i])
            lines.append(f'  task t{i} "t{i}" {{ {body} }}')
        lines.append("}")
    lines += [
        f'taskreport "{report}" {{',
        "  formats csv",
        "  columns id, start, end",
        '  timeformat "%Y-%m-%d %H:%M"',
        "}",
    ]
    return "\n".join(lines) + "\n"


def _to_index(cal: WorkCalendar, stamp: str) -> int:
    day = dt.date.fromisoformat(stamp[:10])
    hour = int(stamp[11:13])
    return cal.last_index(day) + 1 if hour >= 12 else cal.index(day)


def run_tj3(plans: list[Plan], workdir: Path) -> list[tuple[list[int], list[int]]]:
    """Schedule the plans with tj3; per plan the (S, F) index lists of its tasks."""
    tjp = workdir / "batch.tjp"
    tjp.write_text(to_tjp(plans, "out"), encoding="utf-8")
    proc = subprocess.run(
        [tj3_path() or "tj3", "--no-color", "--silent", "-o", str(workdir), str(tjp)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise AssertionError(f"tj3 failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    rows = {}
    with open(workdir / "out.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            rows[row["Id"]] = (row["Start"], row["End"])
    result = []
    for k, plan in enumerate(plans):
        cal = plan.calendar()
        es, ef = [], []
        for i in range(len(plan.durations)):
            s, e = rows[f"p{k}.t{i}"]
            es.append(_to_index(cal, s))
            ef.append(_to_index(cal, e))
        result.append((es, ef))
    return result


def kapm_dates(plan: Plan) -> tuple[list[int], list[int]]:
    res = schedule([Activity(d) for d in plan.durations], plan.links)
    return res.es, res.ef


def describe(plan: Plan) -> str:
    cal = plan.calendar()
    es, ef = kapm_dates(plan)
    lines = [f"start {plan.start} holidays {[d.isoformat() for d in plan.holidays]}"]
    for i, d in enumerate(plan.durations):
        lines.append(f"  t{i} {d}d kapm {cal.date(es[i])}..{cal.date(max(es[i], ef[i] - 1))} S={es[i]} F={ef[i]}")
    lines += [f"  {a}->{b} {t} {lag}" for a, b, t, lag in plan.links]
    return "\n".join(lines)
