"""Semantic difference between two versions of a project (SPEC §6, JSON of §7.3).

Each side is reduced to a plain summary (:func:`summarize`: tasks with their forecast
dates, finish, critical path, budget/EAC, registers), then :func:`compare` produces the
§7.3 record, and the formats in :data:`FORMATS` render it.  Dates are forecast dates at
each side's own status date (the commit date of a revision, the status date of the run
for the working tree) unless the caller passes one ``as_of`` for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kapm.mdtext import md_escape

TASK_FIELDS = ("duration", "depends", "progress", "start", "finish")


@dataclass
class Side:
    """One side of a diff: a loaded version and the status date used for it."""

    label: str  # "HEAD", "v1.0", "working tree"
    commit: str | None  # full commit id; None for the working tree
    as_of: date
    result: object | None  # analysis.ProjectResult (validated), None when absent


def _iso(d) -> str | None:
    return d.isoformat() if d is not None else None


def _num(x):
    if x is None:
        return None
    x = round(float(x), 2)
    return int(x) if x == int(x) else x


def summarize(result, as_of: date) -> dict | None:
    """Plain data of one validated version (None for an absent project)."""
    if result is None:
        return None
    model = result.model
    result.as_of = as_of
    sched = result.schedule(status=True, as_of=as_of)
    ids = {t.id for t in model.all_tasks()}
    tasks: dict[str, dict] = {}
    for t in model.all_tasks():
        ts = sched.by_id.get(t.id) if sched is not None else None
        tasks[t.id] = {
            "name": t.name,
            "duration": t.planned_duration(),
            # resolve() (the "phase-2d" ambiguity) only matters for ids that are not tasks
            "depends": [str(d) if d.task in ids else str(d.resolve(ids)) for d in t.depends],
            "progress": _num(t.progress),
            "start": _iso(ts.start) if ts else None,
            "finish": _iso(ts.finish) if ts else None,
            "milestone": bool(ts.milestone) if ts else bool(t.milestone),
        }
    evm = _budget_and_ev(result, sched, as_of) if sched is not None else None
    budget = evm.bac if evm is not None and evm.bac else model.project.budget
    return {
        "id": model.project.id,
        "tasks": tasks,
        "finish": _iso(sched.finish) if sched else None,
        "finish_date": sched.finish if sched else None,
        "calendar": sched.calendar if sched else None,
        "deadline": _iso(model.project.deadline),
        "critical_path": list(sched.critical_path) if sched else [],
        "budget": _num(budget),
        "eac": _num(evm.eac) if evm is not None else None,
        "risks": {r.id: {"status": r.status, "score": r.score, "title": r.title} for r in model.risks},
        "changes": {c.id: {"status": c.status, "title": c.title} for c in model.changes},
        "log": len(model.log),
        "requests": len(model.requests),
    }


def _budget_and_ev(result, sched, as_of: date):
    """BAC, EV and AC of the project (a :class:`kapm.status.TaskEvm`, whose ``eac`` the
    diff shows), the same numbers as :func:`kapm.status.earned_value` but without the
    plan schedule it builds for PV, which the diff does not show.  EV needs each leaf's
    progress (100 when done), and that is the same in the forecast as in the plan: the
    state of a task comes from its data in both.  Sums run in WBS order, as there."""
    from kapm.status import TaskEvm, task_budgets

    budgets = task_budgets(result)
    ac = 0.0
    for c in result.model.costs:
        if c.date <= as_of:
            ac += float(c.amount)
    bacs = []
    evs = []
    for ts in sched.tasks:
        if not ts.summary:
            bac = budgets.get(ts.id, 0.0)
            bacs.append(bac)
            evs.append(bac * ts.progress / 100)
    return TaskEvm(None, sum(bacs), 0.0, sum(evs), ac)


@dataclass
class Loaded:
    """One side of a diff, loaded and summarised (plain data: it crosses processes)."""

    label: str
    commit: object | None  # kapm.gitlayer.Commit; None for the working tree
    exists: bool
    problems: list  # error findings (the side cannot be compared when not empty)
    project: str | None
    as_of: date
    summary: dict | None


def load_side(history, rev: str | None, *, fixed: date | None, today: date) -> Loaded:
    """Load one side (``rev`` a verified revision, None for the working tree) and
    summarise it at its status date (``fixed``, else its commit date, else ``today``)."""
    from kapm.history import load_revision

    v = load_revision(history, rev) if rev is not None else history.worktree()
    as_of = fixed or v.day or today
    problems = v.problems if v.result is not None else []
    summary = summarize(v.result, as_of) if v.result is not None and not problems else None
    return Loaded(v.label, v.commit, v.result is not None, problems,
                  v.result.id if v.result is not None else None, as_of, summary)


def load_sides(history, revs: list[str | None], *, fixed: date | None, today: date,
               jobs: int | None = None) -> list[Loaded]:
    """:func:`load_side` of each of ``revs``; the first ones in forked processes when
    there is more than one core (``KAPM_JOBS=1`` keeps everything in this process)."""
    import os

    if jobs is None:
        env = os.environ.get("KAPM_JOBS", "")
        jobs = int(env) if env.isdigit() and int(env) > 0 else (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    import multiprocessing

    if jobs < 2 or len(revs) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [load_side(history, r, fixed=fixed, today=today) for r in revs]
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _HISTORY
    _HISTORY = history
    from kapm.trend import _preload

    _preload()  # imported once here, not once per forked worker
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(revs)) - 1,
                                 mp_context=multiprocessing.get_context("fork"),
                                 initializer=_child_init) as pool:
            futures = [pool.submit(_child_side, r, fixed, today) for r in revs[:-1]]
            last = load_side(history, revs[-1], fixed=fixed, today=today)
            out = []
            for r, f in zip(revs, futures):
                try:
                    out.append(f.result())
                except BrokenProcessPool:  # the worker died (killed, out of memory): do it here
                    out.append(load_side(history, r, fixed=fixed, today=today))
            return out + [last]
    finally:
        _HISTORY = None


_HISTORY = None


def _child_init() -> None:
    _HISTORY.repo.detach()  # the parent's cat-file pipe stays the parent's


def _child_side(rev, fixed, today) -> Loaded:
    loaded = load_side(_HISTORY, rev, fixed=fixed, today=today)
    if loaded.summary is not None:
        loaded.summary["calendar"] = None  # only the second side's calendar is used (and it stays here)
    return loaded


def compare(project: str, a: Side, b: Side, sa: dict | None, sb: dict | None) -> dict:
    """The §7.3 record of the changes from side ``a`` to side ``b``."""
    ta = sa["tasks"] if sa else {}
    tb = sb["tasks"] if sb else {}
    added = [i for i in tb if i not in ta]
    removed = [i for i in ta if i not in tb]
    renamed = [{"id": i, "from": ta[i]["name"], "to": tb[i]["name"]}
               for i in tb if i in ta and ta[i]["name"] != tb[i]["name"]]
    changed = []
    for i in tb:
        if i not in ta:
            continue
        fields = {f: {"from": ta[i][f], "to": tb[i][f]} for f in TASK_FIELDS if ta[i][f] != tb[i][f]}
        if fields:
            changed.append({"id": i, "fields": fields})
    fa, fb = (sa or {}).get("finish"), (sb or {}).get("finish")
    delta = None
    if fa and fb:
        from kapm.history import workday_delta

        delta = workday_delta(sb["calendar"], sb["finish_date"], sa["finish_date"])
    ra = sa["risks"] if sa else {}
    rb = sb["risks"] if sb else {}
    ca = sa["changes"] if sa else {}
    cb = sb["changes"] if sb else {}
    return {
        "project": project,
        "from": {"rev": a.label, "commit": a.commit, "as_of": a.as_of.isoformat(), "exists": sa is not None},
        "to": {"rev": b.label if b.commit is not None else None, "commit": b.commit,
               "as_of": b.as_of.isoformat(), "exists": sb is not None},
        "finish": {"from": fa, "to": fb, "delta_days": delta},
        "deadline": {"from": (sa or {}).get("deadline"), "to": (sb or {}).get("deadline")},
        "tasks": {"added": added, "removed": removed, "renamed": renamed, "changed": changed},
        "critical_path": {"from": (sa or {}).get("critical_path", []), "to": (sb or {}).get("critical_path", []),
                          "changed": (sa or {}).get("critical_path", []) != (sb or {}).get("critical_path", [])},
        "budget": {"from": (sa or {}).get("budget"), "to": (sb or {}).get("budget")},
        "eac": {"from": (sa or {}).get("eac"), "to": (sb or {}).get("eac")},
        "risks": {
            "added": [i for i in rb if i not in ra],
            "closed": [i for i in rb if rb[i]["status"] == "closed" and (i not in ra or ra[i]["status"] != "closed")],
            "rescored": [{"id": i, "from": ra[i]["score"], "to": rb[i]["score"]}
                         for i in rb if i in ra and ra[i]["score"] != rb[i]["score"]],
        },
        "changes": {
            "added": [i for i in cb if i not in ca],
            "status": [{"id": i, "from": ca[i]["status"], "to": cb[i]["status"]}
                       for i in cb if i in ca and ca[i]["status"] != cb[i]["status"]],
        },
        "log": {"added": max(0, (sb or {}).get("log", 0) - (sa or {}).get("log", 0))},
        "requests": {"added": max(0, (sb or {}).get("requests", 0) - (sa or {}).get("requests", 0))},
        # names for the human formats (not part of the §7.3 contract)
        "names": {**{i: t["name"] for i, t in ta.items()}, **{i: t["name"] for i, t in tb.items()}},
        "milestones": sorted(i for i, t in {**ta, **tb}.items() if t["milestone"]),
    }


def is_empty(d: dict) -> bool:
    t = d["tasks"]
    return not (t["added"] or t["removed"] or t["renamed"] or t["changed"] or d["critical_path"]["changed"]
                or d["finish"]["from"] != d["finish"]["to"] or d["budget"]["from"] != d["budget"]["to"]
                or d["eac"]["from"] != d["eac"]["to"] or any(d["risks"].values()) or any(d["changes"].values())
                or d["log"]["added"] or d["requests"]["added"] or d["from"]["exists"] != d["to"]["exists"])


# -- formats -----------------------------------------------------------------------------

def to_json(d: dict, color: bool = False) -> str:
    import json

    out = {k: v for k, v in d.items() if k not in ("names", "milestones")}
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


def _side_name(side: dict) -> str:
    if side["commit"] is None:
        return f"working tree (as of {side['as_of']})"
    return f"{side['rev']} ({side['commit'][:10]}, as of {side['as_of']})"


def _money(x) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.2f}".rstrip("0").rstrip(".") if isinstance(x, float) else f"{x:,}"


def _signed(n: int | None) -> str:
    if n is None:
        return "n/a"
    return f"{n:+d} working day{'s' if abs(n) != 1 else ''}"


def _field(name: str, ch: dict) -> str:
    def v(x):
        if x is None:
            return "–"
        if isinstance(x, list):
            return "[" + ", ".join(x) + "]"
        return str(x)

    return f"{name} {v(ch['from'])} → {v(ch['to'])}"


def headline(d: dict) -> str:
    """One line: what moved (used first in every format)."""
    parts = []
    f = d["finish"]
    if f["from"] != f["to"]:
        parts.append(f"finish {f['from'] or '–'} → {f['to'] or '–'}"
                     + (f" ({_signed(f['delta_days'])})" if f["delta_days"] is not None else ""))
    else:
        parts.append(f"finish unchanged ({f['to'] or '–'})")
    t = d["tasks"]
    counts = [f"+{len(t['added'])}" if t["added"] else "", f"-{len(t['removed'])}" if t["removed"] else "",
              f"~{len(t['changed']) + len(t['renamed'])}" if t["changed"] or t["renamed"] else ""]
    counts = [c for c in counts if c]
    if counts:
        parts.append("tasks " + " ".join(counts))
    if d["critical_path"]["changed"]:
        parts.append("critical path changed")
    if d["eac"]["from"] != d["eac"]["to"]:
        parts.append(f"EAC {_money(d['eac']['from'])} → {_money(d['eac']['to'])}")
    ch = d["changes"]
    if ch["added"]:
        parts.append(f"{len(ch['added'])} new change request{'s' if len(ch['added']) != 1 else ''}")
    parts += [f"{x['id']} {x['to']}" for x in ch["status"]]
    if is_empty(d):
        parts = ["no changes"]
    return "; ".join(parts)


class _Paint:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text


def to_text(d: dict, color: bool = False, *, quiet: bool = False) -> str:
    """The grouped text diff; ``quiet``: only the changes (no title, summary line or
    notes; empty when nothing changed)."""
    paint = _Paint(color)
    names = d["names"]
    lines = []
    if not quiet:
        lines += [paint(f"{d['project']}: {_side_name(d['from'])} → {_side_name(d['to'])}", "1"),
                  headline(d), ""]
        if not d["from"]["exists"]:
            lines += [f"(the project does not exist at {d['from']['rev']})", ""]
        if not d["to"]["exists"]:
            lines += ["(the project does not exist in the second version)", ""]
    f = d["finish"]
    if f["from"] != f["to"]:
        lines.append(f"Finish       {f['from'] or '–'} → {f['to'] or '–'}  {_signed(f['delta_days'])}")
    for key, label in (("budget", "Budget"), ("eac", "EAC")):
        if d[key]["from"] != d[key]["to"]:
            lines.append(f"{label:<12} {_money(d[key]['from'])} → {_money(d[key]['to'])}")
    t = d["tasks"]
    if t["added"] or t["removed"] or t["renamed"] or t["changed"]:
        lines += ["", paint("Tasks", "1")]
        lines += [paint(f"  + {i}  {names.get(i, '')}", "32") for i in t["added"]]
        lines += [paint(f"  - {i}  {names.get(i, '')}", "31") for i in t["removed"]]
        lines += [paint(f"  ~ {r['id']}  renamed {r['from']!r} → {r['to']!r}", "33") for r in t["renamed"]]
        for c in t["changed"]:
            ms = " (milestone)" if c["id"] in d["milestones"] else ""
            lines.append(paint(f"  ~ {c['id']}{ms}  " + ", ".join(_field(k, v) for k, v in c["fields"].items()), "33"))
    cp = d["critical_path"]
    if cp["changed"]:
        lines += ["", paint("Critical path", "1"), "  was: " + (" → ".join(cp["from"]) or "–"),
                  "  now: " + (" → ".join(cp["to"]) or "–")]
    r = d["risks"]
    if any(r.values()):
        lines += ["", paint("Risks", "1")]
        lines += [paint(f"  + {i}", "32") for i in r["added"]]
        lines += [f"  closed {i}" for i in r["closed"]]
        lines += [paint(f"  ~ {x['id']}  score {x['from']} → {x['to']}", "33") for x in r["rescored"]]
    c = d["changes"]
    if any(c.values()):
        lines += ["", paint("Change requests", "1")]
        lines += [paint(f"  + {i}", "32") for i in c["added"]]
        lines += [paint(f"  ~ {x['id']}  {x['from']} → {x['to']}", "33") for x in c["status"]]
    if d["log"]["added"] or d["requests"]["added"]:
        lines += ["", f"Added: {d['log']['added']} log entries, {d['requests']['added']} client requests"]
    text = "\n".join(lines).strip("\n") if quiet else "\n".join(lines).rstrip("\n")
    return text + "\n" if text else ""


# Characters with a meaning in (GitHub) Markdown wherever they stand; user text never
# starts a line here, so list and heading markers need no escape.  '@' gets a word
# joiner so a task named "@team" does not notify anyone from a PR comment.
def _code(text) -> str:
    t = str(text).replace("`", "'").replace("\n", " ").replace("|", "\\|")
    return f"`{t}`"


def to_md(d: dict, color: bool = False) -> str:
    names = d["names"]
    out = [f"**kapm diff** {_code(d['project'])}: {md_escape(headline(d))}", "",
           f"{md_escape(_side_name(d['from']))} → {md_escape(_side_name(d['to']))}", ""]

    def section(title: str, rows: list[str], header: str | None = None) -> None:
        if not rows:
            return
        out.append(f"<details><summary>{title}</summary>")
        out.append("")
        if header:
            out.append(header)
            out.append(_rule(header))
        out.extend(rows)
        out.append("")
        out.append("</details>")
        out.append("")

    f = d["finish"]
    sched = []
    if f["from"] != f["to"]:
        sched.append(f"| project finish | {f['from'] or '–'} | {f['to'] or '–'} | {_signed(f['delta_days'])} |")
    for key, label in (("budget", "budget (BAC)"), ("eac", "EAC")):
        if d[key]["from"] != d[key]["to"]:
            sched.append(f"| {label} | {_money(d[key]['from'])} | {_money(d[key]['to'])} | |")
    section("Finish and cost", sched, "| | from | to | change |")
    t = d["tasks"]
    rows = [f"| added | {_code(i)} | {md_escape(names.get(i, ''))} |" for i in t["added"]]
    rows += [f"| removed | {_code(i)} | {md_escape(names.get(i, ''))} |" for i in t["removed"]]
    rows += [f"| renamed | {_code(r['id'])} | {md_escape(r['from'])} → {md_escape(r['to'])} |" for r in t["renamed"]]
    rows += [f"| changed | {_code(c['id'])} | " + md_escape("; ".join(_field(k, v) for k, v in c["fields"].items()))
             + " |" for c in t["changed"]]
    n = len(t["added"]) + len(t["removed"]) + len(t["renamed"]) + len(t["changed"])
    section(f"Tasks ({n})", rows, "| change | task | details |")
    cp = d["critical_path"]
    if cp["changed"]:
        section("Critical path changed", [
            "| was | " + md_escape(" → ".join(cp["from"]) or "–") + " |",
            "| now | " + md_escape(" → ".join(cp["to"]) or "–") + " |"], "| | path |")
    r = d["risks"]
    rows = [f"| added | {_code(i)} | |" for i in r["added"]]
    rows += [f"| closed | {_code(i)} | |" for i in r["closed"]]
    rows += [f"| rescored | {_code(x['id'])} | {x['from']} → {x['to']} |" for x in r["rescored"]]
    section(f"Risks ({len(rows)})", rows, "| change | risk | score |")
    c = d["changes"]
    rows = [f"| added | {_code(i)} | |" for i in c["added"]]
    rows += [f"| status | {_code(x['id'])} | {x['from']} → {x['to']} |" for x in c["status"]]
    section(f"Change requests ({len(rows)})", rows, "| change | request | status |")
    if d["log"]["added"] or d["requests"]["added"]:
        out.append(f"Added: {d['log']['added']} log entries, {d['requests']['added']} client requests")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _rule(header: str) -> str:
    return "|" + "---|" * (header.count("|") - 1)


FORMATS = {"text": to_text, "md": to_md, "json": to_json}
