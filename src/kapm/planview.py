"""Output formats of ``kapm plan``: small functions over one :class:`PlanView`, chosen
from :data:`FORMATS` by name (table, gantt, json, csv, mermaid).

Every format is deterministic: the same schedule and status date give the same bytes
(the terminal width only matters when writing to a terminal).  User text (task names)
is never interpreted as markup: rich gets ``Text`` objects, Mermaid gets names with its
separators replaced.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from json.encoder import encode_basestring as _encode_str  # json.dumps(ensure_ascii=False)'s

__all__ = ["PlanView", "FORMATS", "task_row", "TASK_COLUMNS"]

TASK_COLUMNS = ("id", "name", "wbs", "parent", "summary", "milestone", "duration", "start", "finish",
                "late_start", "late_finish", "total_float", "free_float", "critical", "state", "progress",
                "baseline_start", "baseline_finish", "finish_variance")

_STATE_LABEL = {"done": "done", "in_progress": "in progress", "not_started": "not started"}


@dataclass
class PlanView:
    """What every plan format gets."""

    project: object  # kapm.analysis.ProjectResult
    schedule: object  # kapm.schedule.Schedule
    as_of: date | None  # None for the plan schedule (--no-status)
    health: object = None  # kapm.status.Health (forecast only)
    critical_only: bool = False
    color: bool = False
    width: int = 160
    quiet: bool = False

    @property
    def name(self) -> str:
        return self.project.model.project.name

    def tasks(self) -> list:
        """The tasks to show: all, or with ``--critical`` the critical ones and their summaries."""
        tasks = self.schedule.tasks
        if not self.critical_only:
            return list(tasks)
        return [t for t in tasks if t.critical]


def _one_line(text: str) -> str:
    """Names as one line for tables and charts (line breaks and tabs become spaces)."""
    return " ".join(text.split()) if any(c in text for c in "\n\r\t\v\f\x85\u2028\u2029") else text


def _progress(x: float) -> int | float:
    r = round(x, 1)
    return int(r) if r == int(r) else r


def _d(x: date | None) -> str | None:
    return None if x is None else x.isoformat()


def task_row(t) -> dict:
    """One task as the JSON / CSV row (SPEC §7.3)."""
    return {"id": t.id, "name": t.name, "wbs": t.wbs, "parent": t.parent, "summary": t.summary,
            "milestone": t.milestone, "duration": t.duration, "start": _d(t.start), "finish": _d(t.finish),
            "late_start": _d(t.late_start), "late_finish": _d(t.late_finish), "total_float": t.total_float,
            "free_float": t.free_float, "critical": t.critical, "state": t.state,
            "progress": _progress(t.progress), "baseline_start": _d(t.baseline_start),
            "baseline_finish": _d(t.baseline_finish), "finish_variance": t.finish_variance}


def _status_dict(view: PlanView) -> dict | None:
    h = view.health
    if h is None:
        return None
    return {"evm": h.evm.as_dict() if h.evm is not None else None, "health": h.as_dict()}


# --------------------------------------------------------------------------- json / csv


def format_json(view: PlanView) -> str:
    s = view.schedule
    doc = {"project": s.project_id, "as_of": _d(view.as_of), "start": _d(s.start), "finish": _d(s.finish),
           "deadline": _d(s.deadline), "critical_path": list(s.critical_path),
           "tasks": [], "status": _status_dict(view)}
    # One task per line: readable in a diff.  Each row is written from a template with the
    # scalars encoded exactly as json.dumps(task_row(t), ensure_ascii=False) would (indent=
    # forces the pure-Python encoder: 0.2 s on 10,000 tasks; one dumps per row costs 0.7 s
    # on 100,000).
    head = json.dumps(doc, ensure_ascii=False, indent=2)
    before, after = head.split('"tasks": []', 1)
    # one join of all pieces: 100,000 rows are ~40 MB of text, and every copy costs
    parts = [before, '"tasks": [']
    sep = "\n    "
    for row in _json_rows(view.tasks()):
        parts += (sep, row)
        sep = ",\n    "
    parts += ("\n  ]" if len(parts) > 2 else "]", after, "\n")
    return "".join(parts)


_INF = float("inf")


def _json_scalar(x) -> str:
    """``json.dumps(x, ensure_ascii=False)`` of a scalar, without the encoder set-up."""
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    tx = type(x)
    if tx is str:
        return _encode_str(x)
    if tx is int:
        return int.__repr__(x)
    if tx is float and x == x and x != _INF and x != -_INF:
        return float.__repr__(x)
    return json.dumps(x, ensure_ascii=False)


def _json_rows(tasks):
    """The JSON text of :func:`task_row` of each task (same bytes as json.dumps)."""
    dates: dict = {None: "null"}  # many tasks share dates: encode each once

    def d(x):
        v = dates.get(x)
        if v is None:
            v = dates[x] = '"' + x.isoformat() + '"' if type(x) is date else json.dumps(_d(x))
        return v

    def i(x):  # an int field (kept exact for any other type)
        return int.__repr__(x) if type(x) is int else js(x)

    js = _json_scalar
    es = _encode_str
    bools = {True: "true", False: "false"}
    states = {}
    progs = {}  # progress value -> text (an int-valued float and the int give the same text)
    dg = dates.get
    for t in tasks:
        name, tid, parent, state, crit, pg = t.name, t.id, t.parent, t.state, t.critical, t.progress
        st = states.get(state)
        if st is None:
            st = states[state] = js(state)
        pt = progs.get(pg)
        if pt is None:
            pt = progs[pg] = js(_progress(pg))
        yield (f'{{"id": {es(tid) if type(tid) is str else js(tid)}, '
               f'"name": {es(name) if type(name) is str else js(name)}, "wbs": {js(t.wbs)}, '
               f'"parent": {es(parent) if type(parent) is str else js(parent)}, '
               f'"summary": {bools[t.summary] if type(t.summary) is bool else js(t.summary)}, '
               f'"milestone": {bools[t.milestone] if type(t.milestone) is bool else js(t.milestone)}, '
               f'"duration": {i(t.duration)}, "start": {dg(t.start) or d(t.start)}, "finish": {dg(t.finish) or d(t.finish)}, '
               f'"late_start": {dg(t.late_start) or d(t.late_start)}, "late_finish": {dg(t.late_finish) or d(t.late_finish)}, '
               f'"total_float": {i(t.total_float)}, "free_float": {i(t.free_float)}, '
               f'"critical": {bools[crit] if type(crit) is bool else js(crit)}, "state": {st}, '
               f'"progress": {pt}, "baseline_start": {dg(t.baseline_start) or d(t.baseline_start)}, '
               f'"baseline_finish": {dg(t.baseline_finish) or d(t.baseline_finish)}, "finish_variance": {js(t.finish_variance)}}}')


def format_csv(view: PlanView) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TASK_COLUMNS)
    for t in view.tasks():
        row = task_row(t)
        w.writerow(["" if row[c] is None else ("true" if row[c] is True else "false" if row[c] is False else row[c])
                    for c in TASK_COLUMNS])
    return buf.getvalue()


# --------------------------------------------------------------------------- text helpers


def _days(n: int) -> str:
    return f"{n} working day{'' if n == 1 else 's'}"


def _heading(view: PlanView) -> str:
    s = view.schedule
    when = f"forecast as of {view.as_of}" if view.as_of is not None else "plan schedule (no status date)"
    return f"{s.project_id} — {_one_line(view.name)} · {when}"


def _summary_lines(view: PlanView) -> list[str]:
    s = view.schedule
    line = f"Start {s.start} · finish {s.finish}"
    if s.deadline is not None:
        slip = s.slip_days
        rel = "on the deadline" if slip == 0 else (f"{_days(-slip)} ahead" if slip < 0 else f"{_days(slip)} late")
        line += f" · deadline {s.deadline} ({rel})"
    out = [line]
    if s.critical_path:
        path = " → ".join(s.critical_path)
        extra = f" (+{len(s.critical_paths) - 1} more)" if len(s.critical_paths) > 1 else ""
        out.append(f"Critical path: {path}{extra}")
    h = view.health
    if h is not None:
        e = h.evm
        if e is not None:
            def n(x):
                return "n/a" if x is None else f"{x:,.0f}"

            def r(x):
                return "n/a" if x is None else f"{x:.2f}"

            out.append(f"EVM: BAC {n(e.bac)} · PV {n(e.pv)} · EV {n(e.ev)} · AC {n(e.ac)} · SPI {r(e.spi)} · "
                       f"CPI {r(e.cpi)} · EAC {n(e.eac)}")
        out.append(f"Health: {h.overall} (schedule {h.schedule}, cost {h.cost}, risk {h.risk}, client {h.client})")
        for dim in ("schedule", "cost", "risk", "client"):
            out.append(f"  {dim}: {h.reasons[dim]}")
    return out


def _console(view: PlanView):
    from kapm.output import text_console

    return text_console(view.width, view.color)


# --------------------------------------------------------------------------- table


def format_table(view: PlanView) -> str:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    s = view.schedule
    tasks = view.tasks()
    show_deadline = any(t.deadline is not None for t in tasks)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold" if view.color else "")
    for name, just in (("WBS", "left"), ("Task", "left"), ("Start", "left"), ("Finish", "left"),
                       ("Days", "right"), ("Float", "right"), ("Free", "right"), ("Crit", "center"),
                       ("State", "left"), ("%", "right")):
        table.add_column(name, justify=just, no_wrap=name != "Task", overflow="fold")
    if show_deadline:
        table.add_column("Deadline", no_wrap=True)
    for t in tasks:
        label = "  " * t.depth + ("◆ " if t.milestone else "") + _one_line(t.name)
        style = ""
        if view.color:
            style = "bold red" if t.critical else ("bold" if t.summary else "")
        row = [Text(t.wbs), Text(label, style=style), Text(str(t.start)), Text(str(t.finish)),
               Text(str(t.duration)), Text(str(t.total_float), style="red" if view.color and t.total_float < 0 else ""),
               Text(str(t.free_float)), Text("*" if t.critical else "", style="red" if view.color else ""),
               Text(_STATE_LABEL[t.state]), Text(f"{_progress(t.progress)}")]
        if show_deadline:
            row.append(Text(str(t.deadline) if t.deadline else ""))
        table.add_row(*row)
    con = _console(view)
    if not view.quiet:
        con.print(Text(_heading(view)))
        con.print()
    con.print(table)
    if not view.quiet:
        con.print()
        for line in _summary_lines(view):
            con.print(Text(line))
        if view.critical_only:
            con.print(Text(f"Showing the {len(tasks)} critical tasks of {len(s.tasks)} (--critical)."))
    return _strip(con.file.getvalue())


def _strip(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


# --------------------------------------------------------------------------- gantt


def _fit(text: str, width: int) -> str:
    """``text`` cut (with …) and padded to exactly ``width`` terminal cells (CJK = 2)."""
    from rich.cells import cell_len, get_character_cell_size

    if cell_len(text) > width:
        out, used = [], 0
        for ch in text:
            w = get_character_cell_size(ch)
            if used + w > width - 1:
                break
            out.append(ch)
            used += w
        text = "".join(out) + "…"
    return text + " " * (width - cell_len(text))


_RED, _GREEN, _YELLOW, _CYAN, _DIM, _BOLD, _RESET = ("\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[2m",
                                                      "\x1b[1m", "\x1b[0m")


def format_gantt(view: PlanView) -> str:
    """A Gantt chart on a working-day axis: one column = k working days (k ≥ 1 so that the
    plan fits the width; a short plan gets up to 3 columns per day).  █ critical, ▒ other tasks, ━ summaries, ◆ milestones, │ the
    status date."""
    from rich.cells import cell_len

    s = view.schedule
    cal = s.calendar
    tasks = view.tasks()
    labels = [f"{t.wbs} " + "  " * t.depth + _one_line(t.name) for t in tasks]
    label_w = min(max([cell_len(x) for x in labels] + [12]), 44)
    lo = min([t.es for t in tasks] + [0])
    hi = max([t.ef for t in tasks] + [lo + 1])
    status = s.status_index
    if status is not None:
        hi = max(hi, status + 1)
        lo = min(lo, status)
    span = hi - lo
    cols = max(view.width - label_w - 2, 20)
    k = -(-span // cols)  # working days per column
    zoom = max(1, min(3, cols // span)) if k == 1 else 1  # columns per day for short plans
    ncols = -(-span // k) * zoom

    def col(i: int, last: bool = False) -> int:
        c = (i - lo) // k * zoom + (zoom - 1 if last else 0)
        return min(max(c, 0), ncols - 1)

    today = col(status) if status is not None else None
    out = []
    if not view.quiet:
        out.append(_heading(view))
        out.append("")
    # axis: a date label every ~10 columns (at least its own width apart)
    axis = [" "] * ncols
    c = 0
    while c < ncols:
        lab = cal.date(lo + c // zoom * k).strftime("%m-%d")
        if c + len(lab) <= ncols:
            axis[c:c + len(lab)] = list(lab)
        c += max(10, len(lab) + 2)
    year_line = [" "] * ncols
    last_year = None
    for c in range(ncols):
        y = cal.date(lo + c // zoom * k).year
        if y != last_year and c + 4 <= ncols and all(ch == " " for ch in year_line[max(c - 1, 0):c + 4]):
            year_line[c:c + 4] = list(str(y))
            last_year = y
    marker = [" "] * ncols
    if today is not None:
        marker[today] = "▼"
    out.append(" " * (label_w + 2) + "".join(year_line).rstrip())
    out.append(" " * (label_w + 2) + "".join(axis).rstrip())
    if today is not None:
        out.append(" " * (label_w + 2) + "".join(marker).rstrip())
    for t, label in zip(tasks, labels):
        cells = [" "] * ncols
        if today is not None:
            cells[today] = "│"
        if t.milestone:
            shown = t.es - 1 if t.es != 0 else 0
            cells[col(shown, last=True)] = "◆"
            kind = "ms"
        else:
            ch = "━" if t.summary else ("█" if t.critical else "▒")
            last = max(t.ef - 1, t.es)
            for c in range(col(t.es), col(last, last=True) + 1):
                cells[c] = ch
            kind = "sum" if t.summary else "task"
        bar = "".join(cells).rstrip()
        name = _fit(label, label_w)
        if view.color:
            colour = _RED if t.critical else (_GREEN if t.state == "done" else (_YELLOW if kind == "ms" else ""))
            if today is not None:
                bar = bar.replace("│", f"{_CYAN}│{_RESET}{colour}")
            bar = f"{colour}{bar}{_RESET}" if colour else bar
            if t.summary:
                name = f"{_BOLD}{name}{_RESET}"
        out.append(f"{name}  {bar}".rstrip())
    if not view.quiet:
        out.append("")
        scale = f"1 column = {_days(k)}" if zoom == 1 else f"1 working day = {zoom} columns"
        legend = f"{scale} · █ critical · ▒ task · ━ summary · ◆ milestone"
        if today is not None:
            legend += f" · │ status date {view.as_of}"
        out.append(legend)
        out.extend(_summary_lines(view))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- mermaid


def _mermaid_text(text: str) -> str:
    # ':' separates a task's name from its data and '#'/';' start entities/statements
    for a, b in ((":", "∶"), ("#", "＃"), (";", "；"), ("\r", " "), ("\n", " "), ("%%", "% %")):
        text = text.replace(a, b)
    return " ".join(text.split()) or "-"


def format_mermaid(view: PlanView) -> str:
    """A ```mermaid gantt block (GitHub renders it): sections per top-level summary,
    ``crit`` / ``done`` / ``active`` / ``milestone`` tags, ``after`` where the task starts
    the calendar day after its driving predecessor's last day; dates are inclusive, so the
    end date written is the day after the last working day."""
    s = view.schedule
    tasks = view.tasks()
    shown = {t.id for t in tasks}
    ids = {t.id: f"t{i + 1}" for i, t in enumerate(s.tasks)}
    driver: dict[str, str] = {}
    for k, (pred, succ, typ, _lag) in enumerate(s.links):
        if s.driving[k] and typ == "FS" and succ not in driver:
            driver[succ] = pred
    out = ["```mermaid", "gantt", f"    title {_mermaid_text(s.project_id + ' — ' + view.name)}",
           "    dateFormat YYYY-MM-DD", "    axisFormat %m-%d"]
    out.append("    todayMarker off")  # the real today would make the chart change every day
    section = None
    top_of: dict[str, str] = {}
    for t in s.tasks:
        top_of[t.id] = top_of[t.parent] if t.parent is not None else t.id
    for t in s.tasks:
        if t.summary or t.id not in shown:
            continue
        top = s.by_id[top_of[t.id]]
        sec = top.name if top.summary else s.project_id
        if sec != section:
            out.append(f"    section {_mermaid_text(sec)}")
            section = sec
        tags = []
        if t.critical:
            tags.append("crit")
        if t.state == "done":
            tags.append("done")
        elif t.state == "in_progress":
            tags.append("active")
        if t.milestone:
            tags.append("milestone")
        tags.append(ids[t.id])
        if t.milestone:
            when = f"{t.start}, 0d"
        else:
            end = t.finish + timedelta(days=1)
            pred = driver.get(t.id)
            if pred is not None and pred in shown and not s.by_id[pred].milestone and \
                    s.by_id[pred].finish + timedelta(days=1) == t.start:
                when = f"after {ids[pred]}, {end}"
            else:
                when = f"{t.start}, {end}"
        out.append(f"    {_mermaid_text(t.name)} :{', '.join(tags)}, {when}")
    out.append("```")
    return "\n".join(out) + "\n"


FORMATS = {
    "table": format_table,
    "gantt": format_gantt,
    "json": format_json,
    "csv": format_csv,
    "mermaid": format_mermaid,
}
