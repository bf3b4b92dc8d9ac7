"""Milestone trend analysis (MTA) from git history (SPEC §6, JSON of §7.3).

:func:`replay` walks the commits that touched the project, oldest first, loads each
version through :mod:`kapm.history` (the same pipeline as the working tree) and records
the forecast of every milestone and of the project finish at that commit, with the
commit date as status date unless one ``as_of`` is given.  Versions that do not validate
or cannot be scheduled are listed as skipped.  Each point is cached by the blob ids of
its files and the status date, so a second run reads no YAML at all.

Formats: text (table + sparklines), md, json, svg (the MTA chart: x = commit date,
y = forecast date, one line per milestone; deterministic bytes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

POINT_FORMAT = 2  # 2: skip reasons keep their file relative to the repository
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass
class Point:
    commit: str
    date: date  # commit date
    as_of: date  # status date used
    message: str
    finish: date
    milestones: dict[str, date]  # id -> forecast date, WBS order
    names: dict[str, str]


@dataclass
class Trend:
    project: str
    as_of: date | None
    points: list[Point] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    moves: list[dict] = field(default_factory=list)


def _point_data(result, day: date) -> dict:
    from kapm.schedule import unschedulable_reason

    result.as_of = day
    sched = result.schedule(status=True, as_of=day)
    if sched is None:
        return {"skip": f"cannot be scheduled: {unschedulable_reason(result) or 'unknown reason'}"}
    return {"project": result.id, "finish": sched.finish,
            "milestones": {t.id: t.finish for t in sched.tasks if t.milestone},
            "names": {t.id: t.name for t in sched.tasks if t.milestone}}


def replay(history, commits, *, as_of: date | None = None, jobs: int | None = None) -> Trend:
    """The trend over ``commits`` (oldest first) of ``history`` (kapm.history.ProjectHistory).

    Which files make each version comes from the trees (one ``cat-file`` process, no
    ``ls-tree`` per commit).  Points not in the cache are computed in commit order; a
    version identical to the one before (same blob ids) is reused in memory.  With many
    such points and more than one core they are computed in ``jobs`` processes (default:
    the cores, ``KAPM_JOBS`` overrides; forked, so nothing is re-imported), each taking a
    contiguous run of commits.  Only the points are cached, not the loaded versions."""
    listing = history.files_at_many([c.id for c in commits])
    data: list[dict | None] = [None] * len(commits)
    todo: list[int] = []
    for i, c in enumerate(commits):
        files, key = listing[i]
        if files is None:
            data[i] = {"skip": "the project does not exist in this commit"}
            continue
        got = history.cache.get("point", _point_key(key, as_of or c.day))
        if got is None:
            todo.append(i)
        else:
            data[i] = got
    state = _Replay(history, commits, listing, as_of)
    n = _jobs(jobs, len(todo))
    if n > 1:
        chunks = [todo[len(todo) * k // n:len(todo) * (k + 1) // n] for k in range(n)]
        global _STATE
        _STATE = state
        _preload()  # imported once here, not once per forked worker
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            from concurrent.futures.process import BrokenProcessPool

            with ProcessPoolExecutor(max_workers=n - 1, mp_context=multiprocessing.get_context("fork"),
                                     initializer=_child_init) as pool:
                futures = [pool.submit(_child_chunk, chunk) for chunk in chunks[:-1]]
                for i, d in state.run(chunks[-1]):  # the newest commits: the parent keeps the last version
                    data[i] = d
                for chunk, f in zip(chunks, futures):
                    try:
                        done = f.result()
                    except BrokenProcessPool:  # a worker died (killed, out of memory): do it here
                        done = state.run(chunk)
                    for i, d in done:
                        data[i] = d
        finally:
            _STATE = None
    else:
        for i, d in state.run(todo):
            data[i] = d

    points: list[Point] = []
    skipped: list[dict] = []
    project = None
    last_valid = None
    for i, c in enumerate(commits):
        d = data[i]
        if "skip" in d:
            skipped.append({"commit": c.id, "reason": _skip_text(d, history.repo.root)})
            continue
        project = d["project"]
        last_valid = i
        points.append(Point(c.id, c.day, as_of or c.day, c.subject, d["finish"], dict(d["milestones"]),
                            dict(d["names"])))
    trend = Trend(project or history.dir.name, as_of, points, skipped)
    if len(points) > 1:
        trend.moves = _moves(points, state.calendar(last_valid))
    return trend


def _skip(version, root: Path) -> dict:
    """The cached point of an unusable version.  Its reason starts with the file of the
    first problem as seen from the current directory; the file is also kept relative to
    the repository, so a later run from another directory shows its own path."""
    d = {"skip": version.reason()}
    if version.result is not None and version.problems:
        shown = version.problems[0].location.file
        for sf in version.result.files:
            if sf.display == shown and d["skip"].startswith(shown):
                try:
                    d["file"] = Path(os.path.relpath(sf.path, root)).as_posix()
                except ValueError:  # another drive (Windows)
                    break
                d["shown"] = shown
                break
    return d


def _skip_text(d: dict, root: Path) -> str:
    if "file" not in d:
        return d["skip"]
    from kapm.workspace import display_path

    return display_path(root / d["file"]) + d["skip"][len(d["shown"]):]


def _point_key(key: str, day: date) -> str:
    return f"{key}-{day.isoformat()}-{POINT_FORMAT}"


class _Replay:
    """Computes points (and remembers the last version loaded, for reuse)."""

    def __init__(self, history, commits, listing, as_of):
        self.history = history
        self.commits = commits
        self.listing = listing
        self.as_of = as_of
        self.last: tuple[str, object] | None = None  # (cache key, Version)

    def version(self, i: int):
        files, key = self.listing[i]
        if self.last is not None and self.last[0] == key:
            return self.last[1]
        version = self.history.at(self.commits[i], files=(files, key), store=False)
        self.last = (key, version)
        return version

    def run(self, indexes: list[int]) -> list[tuple[int, dict]]:
        import gc

        out = []
        # A version is garbage by reference counting once the next one is loaded; the
        # cyclic collector would only rescan the large live heap again and again
        # (≈10 % of a cold run), so it runs once every 64 versions instead.
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for n, i in enumerate(indexes):
                c = self.commits[i]
                day = self.as_of or c.day
                version = self.version(i)
                d = _skip(version, self.history.repo.root) if not version.ok else _point_data(version.result, day)
                self.history.cache.put("point", _point_key(self.listing[i][1], day), d)
                out.append((i, d))
                if n % 64 == 63:
                    gc.collect()
        finally:
            if gc_was:
                gc.enable()
        return out

    def calendar(self, i: int):
        """The working-day calendar of version ``i`` (cached by its files)."""
        from kapm.schedule import work_calendar

        key = self.listing[i][1]
        if self.last is None or self.last[0] != key:
            got = self.history.cache.get("calendar", f"{key}-{POINT_FORMAT}")
            if got is not None:
                return got.get("calendar")
        try:
            calendar = work_calendar(self.version(i).result)
        except ValueError:
            calendar = None
        self.history.cache.put("calendar", f"{key}-{POINT_FORMAT}", {"calendar": calendar})
        return calendar


_STATE: _Replay | None = None
MIN_PARALLEL = 24  # points to compute before a second process pays for itself


def _jobs(jobs: int | None, todo: int) -> int:
    import multiprocessing
    import os

    if jobs is None:
        env = os.environ.get("KAPM_JOBS", "")
        jobs = int(env) if env.isdigit() and int(env) > 0 else None
        if jobs is None:
            if todo < MIN_PARALLEL:
                return 1
            jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(jobs, todo // 2))


def _preload() -> None:
    import kapm.analysis  # noqa: F401
    import kapm.model  # noqa: F401
    import kapm.schedule  # noqa: F401
    import kapm.status  # noqa: F401
    import kapm.validate  # noqa: F401


def _child_init() -> None:
    _STATE.history.repo.detach()  # the parent's cat-file pipe stays the parent's


def _child_chunk(indexes: list[int]) -> list[tuple[int, dict]]:
    return _STATE.run(indexes)


def _moves(points: list[Point], calendar) -> list[dict]:
    from kapm.history import workday_delta

    out = []
    for prev, cur in zip(points, points[1:]):
        pairs = [(None, prev.finish, cur.finish)]
        pairs += [(m, prev.milestones[m], d) for m, d in cur.milestones.items() if m in prev.milestones]
        for m, before, after in pairs:
            if before == after:
                continue
            delta = workday_delta(calendar, after, before) if calendar is not None else (after - before).days
            out.append({"milestone": m, "commit": cur.commit, "date": cur.date.isoformat(), "message": cur.message,
                        "from": before.isoformat(), "to": after.isoformat(), "delta_days": delta})
    return out


def series(trend: Trend) -> list[tuple[str | None, str]]:
    """(milestone id or None for the project finish, label), in order of first appearance."""
    seen: dict[str, str] = {}
    for p in trend.points:
        for m in p.milestones:
            seen.setdefault(m, m)
        for m, n in p.names.items():
            seen[m] = n
    return [(None, "finish")] + [(m, m) for m in seen]


def _value(p: Point, m: str | None) -> date | None:
    return p.finish if m is None else p.milestones.get(m)


# -- formats -----------------------------------------------------------------------------

def to_json(trend: Trend, color: bool = False) -> str:
    import json

    doc = {
        "project": trend.project,
        "as_of": trend.as_of.isoformat() if trend.as_of else None,
        "points": [{"commit": p.commit, "date": p.date.isoformat(), "as_of": p.as_of.isoformat(),
                    "message": p.message, "finish": p.finish.isoformat(),
                    "milestones": {m: d.isoformat() for m, d in p.milestones.items()}} for p in trend.points],
        "skipped": trend.skipped,
        "moves": trend.moves,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _signed(days: int | None) -> str:
    """A move in working days; n/a when the calendar could not place a date."""
    return "n/a" if days is None else f"{days:+d}"


def sparkline(values: list[date | None]) -> str:
    known = [v.toordinal() for v in values if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(SPARKS[0])
        else:
            out.append(SPARKS[round((v.toordinal() - lo) * (len(SPARKS) - 1) / (hi - lo))])
    return "".join(out)


def _summary_rows(trend: Trend) -> list[tuple[str, str, str, str, str]]:
    return [row[1:] for row in _summary(trend)]


def _summary(trend: Trend) -> list[tuple[str | None, str, str, str, str, str]]:
    """(milestone id or None, label, first, last, working days moved, sparkline) per series."""
    rows = []
    for m, label in series(trend):
        vals = [_value(p, m) for p in trend.points]
        known = [v for v in vals if v is not None]
        if not known:
            continue
        first, last = known[0], known[-1]
        moved = [x for x in trend.moves if x["milestone"] == m]
        total = sum(x["delta_days"] or 0 for x in moved)
        rows.append((m, label, first.isoformat(), last.isoformat(), f"{total:+d}", sparkline(vals)))
    return rows


def for_report(folder, as_of: date | None = None) -> dict | None:
    """The trend of the project in ``folder`` for the steering report, or None when there
    is no usable history (not a repository, a shallow clone, no commit touched it).

    Reports never fail for want of history; the ``trend`` command says why instead."""
    from kapm.gitlayer import GitError
    from kapm.history import open_history

    try:
        history = open_history(folder, purpose="chart the milestone trend")
        with history.repo:
            history.repo.require_history("the milestone trend")
            trend = replay(history, history.commits(), as_of=as_of)
    except GitError:
        return None
    if not trend.points:
        return None
    rows = []
    names: dict[str, str] = {}
    for p in trend.points:
        names.update(p.names)  # the latest name of each milestone
    for m, label, first, last, total, spark in _summary(trend):
        label = names.get(m, label) if m is not None else label
        last_move = next((x for x in reversed(trend.moves) if x["milestone"] == m), None)
        rows.append({"id": m, "name": label, "first": date.fromisoformat(first), "last": date.fromisoformat(last),
                     "delta_days": int(total),
                     "sparkline": spark, "last_move": last_move})
    return {"commits": len(trend.points), "skipped": len(trend.skipped),
            "first_commit": trend.points[0].commit, "last_commit": trend.points[-1].commit,
            "rows": rows, "svg": to_svg(trend)}


def _headline(trend: Trend) -> str:
    if not trend.points:
        return f"{trend.project}: no commit with a valid plan" + (
            f" ({len(trend.skipped)} skipped)" if trend.skipped else "")
    first, last = trend.points[0].finish, trend.points[-1].finish
    total = sum(x["delta_days"] or 0 for x in trend.moves if x["milestone"] is None)
    moved = len({x["milestone"] for x in trend.moves if x["milestone"] is not None})
    text = (f"{trend.project}: finish {first.isoformat()} → {last.isoformat()} ({total:+d} working days) "
            f"over {len(trend.points)} commit{'s' if len(trend.points) != 1 else ''}; "
            f"{moved} milestone{'s' if moved != 1 else ''} moved")
    if trend.skipped:
        text += f"; {len(trend.skipped)} skipped"
    return text


def to_text(trend: Trend, color: bool = False, *, quiet: bool = False) -> str:
    """Summary, table, moves, skipped commits; ``quiet``: only the table of forecasts at
    each commit (no headline, summary, moves or skipped list; empty without points)."""
    def bold(t: str) -> str:
        return f"\x1b[1m{t}\x1b[0m" if color else t

    lines = [] if quiet else [bold("Milestone trend — " + _headline(trend)), ""]
    if trend.points and not quiet:
        rows = [("", "first", "last", "moved", "trend")] + _summary_rows(trend)
        widths = [max(_width(r[i]) for r in rows) for i in range(5)]
        for r in rows:
            lines.append("  ".join(_pad(c, widths[i]) for i, c in enumerate(r)).rstrip())
        lines.append("")
    if trend.points:
        cols = series(trend)
        head = ["commit", "date", *[label for _, label in cols]]
        table = [head]
        for p in trend.points:
            table.append([p.commit[:10], p.date.isoformat(),
                          *[(_value(p, m).isoformat() if _value(p, m) else "–") for m, _ in cols]])
        widths = [max(_width(r[i]) for r in table) for i in range(len(head))]
        for i, r in enumerate(table):
            line = "  ".join(_pad(c, widths[j]) for j, c in enumerate(r)).rstrip()
            lines.append(bold(line) if i == 0 else line)
    if quiet:
        return "".join(line + "\n" for line in lines)
    if trend.moves:
        lines += ["", bold("Moves")]
        for x in trend.moves:
            what = x["milestone"] or "finish"
            lines.append(f"  {x['date']}  {x['commit'][:10]}  {what}: {x['from']} → {x['to']} "
                         f"({_signed(x['delta_days'])})  {x['message']}")
    if trend.skipped:
        lines += ["", bold("Skipped commits")]
        lines += [f"  {s['commit'][:10]}  {s['reason']}" for s in trend.skipped]
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def to_md(trend: Trend, color: bool = False) -> str:
    from kapm.mdtext import md_escape

    out = [f"**kapm trend** {md_escape(_headline(trend))}", ""]
    if trend.points:
        out += ["| | first | last | moved (working days) | trend |", "|---|---|---|---|---|"]
        out += [f"| {md_escape(r[0])} | {r[1]} | {r[2]} | {r[3]} | {r[4]} |" for r in _summary_rows(trend)]
        out.append("")
        cols = series(trend)
        out.append("<details><summary>Forecast at each commit</summary>")
        out.append("")
        out.append("| commit | date | " + " | ".join(md_escape(label) for _, label in cols) + " |")
        out.append("|---|---|" + "---|" * len(cols))
        for p in trend.points:
            out.append(f"| `{p.commit[:10]}` | {p.date.isoformat()} | "
                       + " | ".join((_value(p, m).isoformat() if _value(p, m) else "–") for m, _ in cols) + " |")
        out += ["", "</details>", ""]
    if trend.moves:
        out += ["<details><summary>Moves</summary>", "", "| date | commit | milestone | from | to | change | message |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {x['date']} | `{x['commit'][:10]}` | {md_escape(x['milestone'] or 'finish')} | {x['from']} | "
                f"{x['to']} | {_signed(x['delta_days'])} | {md_escape(x['message'])} |" for x in trend.moves]
        out += ["", "</details>", ""]
    if trend.skipped:
        out += ["<details><summary>Skipped commits</summary>", ""]
        out += [f"- `{s['commit'][:10]}` {md_escape(s['reason'])}" for s in trend.skipped]
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf")


def to_svg(trend: Trend, color: bool = False) -> str:
    """The MTA chart as one self-contained SVG (no scripts, fixed number formatting)."""
    from xml.sax.saxutils import escape

    w, h = 860, 520
    left, right, top, bottom = 90, 200, 50, 70
    pw, ph = w - left - right, h - top - bottom
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           f'font-family="sans-serif" font-size="11">',
           f'<title>{escape("Milestone trend: " + trend.project)}</title>',
           f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
           f'<text x="{left}" y="24" font-size="15" font-weight="bold">{escape("Milestone trend — " + trend.project)}</text>']
    if not trend.points:
        out.append(f'<text x="{left}" y="{top + 30}">{escape("no commit with a valid plan")}</text></svg>')
        return "\n".join(out) + "\n"
    xs = [p.date.toordinal() for p in trend.points]
    ys = [d.toordinal() for p in trend.points for d in [p.finish, *p.milestones.values()]]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1

    def px(o: int) -> str:
        return f"{left + (o - x0) * pw / (x1 - x0):.1f}"

    def py(o: int) -> str:
        return f"{top + ph - (o - y0) * ph / (y1 - y0):.1f}"

    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999999"/>')
    for i in range(5):
        ox = x0 + round((x1 - x0) * i / 4)
        oy = y0 + round((y1 - y0) * i / 4)
        label_x = escape(date.fromordinal(ox).isoformat())
        label_y = escape(date.fromordinal(oy).isoformat())
        out.append(f'<line x1="{px(ox)}" y1="{top}" x2="{px(ox)}" y2="{top + ph}" stroke="#eeeeee"/>')
        out.append(f'<text x="{px(ox)}" y="{top + ph + 16}" text-anchor="middle">{label_x}</text>')
        out.append(f'<line x1="{left}" y1="{py(oy)}" x2="{left + pw}" y2="{py(oy)}" stroke="#eeeeee"/>')
        out.append(f'<text x="{left - 6}" y="{py(oy)}" text-anchor="end" dominant-baseline="middle">{label_y}</text>')
    lo, hi = max(x0, y0), min(x1, y1)
    if lo < hi:  # the diagonal: forecast = report date (a milestone reached on time ends here)
        out.append(f'<line x1="{px(lo)}" y1="{py(lo)}" x2="{px(hi)}" y2="{py(hi)}" stroke="#bbbbbb" '
                   f'stroke-dasharray="4 3"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{h - 20}" text-anchor="middle">commit date</text>')
    out.append(f'<text x="18" y="{top + ph / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 18 {top + ph / 2:.1f})">forecast date</text>')
    for k, (m, label) in enumerate(series(trend)):
        colour = _PALETTE[k % len(_PALETTE)]
        pts = [(p.date.toordinal(), _value(p, m).toordinal()) for p in trend.points if _value(p, m) is not None]
        if not pts:
            continue
        width = "2.5" if m is None else "1.5"
        coords = " ".join(f"{px(a)},{py(b)}" for a, b in pts)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{coords}"/>')
        for a, b in pts:
            out.append(f'<circle cx="{px(a)}" cy="{py(b)}" r="2.5" fill="{colour}"/>')
        ly = top + 14 + 16 * k
        out.append(f'<line x1="{left + pw + 12}" y1="{ly - 4}" x2="{left + pw + 30}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="{width}"/>')
        text = label if len(label) <= 24 else label[:23] + "…"
        out.append(f'<text x="{left + pw + 36}" y="{ly}">{escape(text)}<title>{escape(label)}</title></text>')
    out.append(f'<desc>{escape(_headline(trend))}</desc>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


FORMATS = {"text": to_text, "md": to_md, "json": to_json, "svg": to_svg}
