"""Charts as inline SVG: Gantt, risk heat map, EVM S-curve.

Own code, no JavaScript and no external references, so an HTML report stays one
self-contained file that prints well. Every piece of user text is XML-escaped.
Output is deterministic: coordinates are rounded to one decimal and nothing depends on
dict order or the clock. Inputs are the plain rows of the report context (dates are
``datetime.date``); labels arrive already translated through ``t`` (gettext) and ``fmt``
(a :class:`kapm.report.i18n.Formats`).
"""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

FONT = "font-family=\"'Segoe UI','Helvetica Neue',Arial,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif\""
BLUE = "#3b6ea8"
BLUE_DONE = "#1f4e85"
RED = "#c0392b"
RED_DONE = "#8e2418"
GREY = "#9aa5b1"
SUMMARY = "#34495e"
TODAY = "#e67e22"
GRID = "#e3e8ee"
INK = "#1f2933"
MUTED = "#616e7c"


def _n(x: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros (deterministic text)."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _width(ch: str) -> int:
    return 2 if ord(ch) >= 0x2E80 else 1  # CJK and other wide characters take two cells


def _clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` cells (wide characters count two), with an ellipsis."""
    text = " ".join(str(text).split())
    used = 0
    for k, ch in enumerate(text):
        used += _width(ch)
        if used > limit:
            return text[: max(k - 1, 0)] + "…"
    return text


def _svg(width: float, height: float, title: str, body: list[str], cls: str) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" role="img" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" width="100%" {FONT} font-size="11">'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(body) + "</svg>")


# --------------------------------------------------------------------------- Gantt


def gantt(rows: list[dict], *, as_of: date, deadline: date | None, t, fmt, title: str) -> Markup:
    """Bars per row (``start``/``finish`` inclusive dates), a thin baseline bar under
    each row that has ``baseline_start``/``baseline_finish``, a today line, the
    deadline, critical rows in red and milestones as diamonds."""
    label_w, chart_w, row_h, top = 290.0, 690.0, 20.0, 34.0
    dated = [r for r in rows if r.get("start") and r.get("finish")]
    if not dated:
        empty = t("No scheduled tasks.")
        return _svg(label_w + chart_w, 40, title, [f'<text x="8" y="24" fill="{MUTED}">{escape(empty)}</text>'], "gantt")
    days = [as_of]
    for r in dated:
        days += [r["start"], r["finish"]]
        if r.get("baseline_start") and r.get("baseline_finish"):
            days += [r["baseline_start"], r["baseline_finish"]]
    if deadline:
        days.append(deadline)
    first = min(days).replace(day=1)
    last = max(days) + timedelta(days=1)
    end = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    span = max((end - first).days, 1)
    scale = chart_w / span

    def x(d: date) -> float:
        return label_w + (d - first).days * scale

    height = top + row_h * len(dated) + 34
    body: list[str] = [f'<rect x="0" y="0" width="{_n(label_w + chart_w)}" height="{_n(height)}" fill="#ffffff"/>']
    # month grid and labels (label every month, or every 2nd/3rd when crowded)
    months = []
    m = first
    while m < end:
        months.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    step = 1 if len(months) <= 14 else (2 if len(months) <= 28 else 3)
    for i, m in enumerate(months):
        xm = x(m)
        body.append(f'<line x1="{_n(xm)}" y1="{_n(top - 6)}" x2="{_n(xm)}" y2="{_n(height - 30)}" '
                    f'stroke="{GRID}" stroke-width="1"/>')
        if i % step == 0:
            body.append(f'<text x="{_n(xm + 3)}" y="{_n(top - 12)}" fill="{MUTED}">{escape(fmt.date(m, "month"))}</text>')
    for i, r in enumerate(dated):
        y = top + i * row_h
        if i % 2 == 1:
            body.append(f'<rect x="0" y="{_n(y)}" width="{_n(label_w + chart_w)}" height="{_n(row_h)}" fill="#f6f8fa"/>')
        indent = 6 + 10 * min(int(r.get("level", 0)), 6)
        weight = ' font-weight="600"' if r.get("summary") else ""
        colour = RED if r.get("critical") else INK
        name = _clip(r.get("name", ""), 50 - indent // 5)
        body.append(f'<text x="{_n(indent)}" y="{_n(y + 14)}" fill="{colour}"{weight}>'
                    f'{escape(name)}</text>')
        xs, xf = x(r["start"]), x(r["finish"] + timedelta(days=1))
        if r.get("baseline_start") and r.get("baseline_finish"):
            bs, bf = x(r["baseline_start"]), x(r["baseline_finish"] + timedelta(days=1))
            if r.get("milestone"):
                bs, bf = bs - 2, bs + 2
            body.append(f'<rect class="baseline" x="{_n(bs)}" y="{_n(y + 14)}" width="{_n(max(bf - bs, 2))}" '
                        f'height="3" fill="{GREY}"/>')
        if r.get("milestone"):
            cx, cy = x(r["finish"]) + scale / 2, y + row_h / 2 - 1
            fill = RED if r.get("critical") else SUMMARY
            body.append(f'<path class="milestone" d="M{_n(cx)} {_n(cy - 6)}L{_n(cx + 6)} {_n(cy)}L{_n(cx)} '
                        f'{_n(cy + 6)}L{_n(cx - 6)} {_n(cy)}Z" fill="{fill}"/>')
            body.append(f'<text x="{_n(cx + 9)}" y="{_n(cy + 4)}" fill="{MUTED}" font-size="10">'
                        f'{escape(fmt.date(r["finish"], "short"))}</text>')
        elif r.get("summary"):
            w = max(xf - xs, 2)
            body.append(f'<rect class="summary" x="{_n(xs)}" y="{_n(y + 5)}" width="{_n(w)}" height="5" fill="{SUMMARY}"/>')
            body.append(f'<path d="M{_n(xs)} {_n(y + 10)}l0 5l4 -5Z M{_n(xs + w)} {_n(y + 10)}l0 5l-4 -5Z" fill="{SUMMARY}"/>')
        else:
            w = max(xf - xs, 2)
            crit = r.get("critical")
            body.append(f'<rect class="bar{" critical" if crit else ""}" x="{_n(xs)}" y="{_n(y + 4)}" '
                        f'width="{_n(w)}" height="10" rx="2" fill="{RED if crit else BLUE}" fill-opacity="0.55"/>')
            progress = float(r.get("progress") or 0)
            if progress > 0:
                body.append(f'<rect x="{_n(xs)}" y="{_n(y + 4)}" width="{_n(w * min(progress, 100) / 100)}" '
                            f'height="10" rx="2" fill="{RED_DONE if crit else BLUE_DONE}"/>')
    bottom = top + row_h * len(dated)
    if deadline:
        xd = x(deadline + timedelta(days=1))
        body.append(f'<line x1="{_n(xd)}" y1="{_n(top - 6)}" x2="{_n(xd)}" y2="{_n(bottom)}" stroke="{RED}" '
                    f'stroke-width="1.5" stroke-dasharray="2 3"/>')
    xt = x(as_of + timedelta(days=1))
    body.append(f'<line class="today" x1="{_n(xt)}" y1="{_n(top - 6)}" x2="{_n(xt)}" y2="{_n(bottom)}" '
                f'stroke="{TODAY}" stroke-width="2"/>')
    # legend
    ly = bottom + 20
    items = [(BLUE, t("task"), "bar"), (RED, t("critical"), "bar"), (GREY, t("baseline"), "thin"),
             (SUMMARY, t("milestone"), "diamond"), (TODAY, t("status date"), "line"), (RED, t("deadline"), "dash")]
    lx = label_w
    for colour, text, kind in items:
        if kind == "bar":
            body.append(f'<rect x="{_n(lx)}" y="{_n(ly - 9)}" width="14" height="9" rx="2" fill="{colour}" fill-opacity="0.7"/>')
        elif kind == "thin":
            body.append(f'<rect x="{_n(lx)}" y="{_n(ly - 5)}" width="14" height="3" fill="{colour}"/>')
        elif kind == "diamond":
            body.append(f'<path d="M{_n(lx + 7)} {_n(ly - 10)}l5 5l-5 5l-5 -5Z" fill="{colour}"/>')
        else:
            dash = ' stroke-dasharray="2 3"' if kind == "dash" else ""
            body.append(f'<line x1="{_n(lx + 7)}" y1="{_n(ly - 11)}" x2="{_n(lx + 7)}" y2="{_n(ly + 1)}" '
                        f'stroke="{colour}" stroke-width="2"{dash}/>')
        body.append(f'<text x="{_n(lx + 18)}" y="{_n(ly)}" fill="{MUTED}">{escape(text)}</text>')
        lx += 26 + 7 * len(text) + (8 if any(ord(c) > 0x2E80 for c in text) else 0)
    return _svg(label_w + chart_w, height, title, body, "gantt")


# --------------------------------------------------------------------------- heat map


def _heat_colour(score: int) -> str:
    if score >= 15:
        return "#e74c3c"
    if score >= 10:
        return "#f39c12"
    if score >= 5:
        return "#f7dc6f"
    return "#a9dfbf"


def heatmap(matrix: list[list[list[str]]], *, t, title: str) -> Markup:
    """5×5 probability × impact grid; ``matrix[p-1][i-1]`` is the list of risk ids in
    that cell. Probability runs bottom (1) to top (5), impact left (1) to right (5)."""
    cell, left, top = 84.0, 70.0, 16.0
    body: list[str] = [f'<rect x="0" y="0" width="{_n(left + 5 * cell + 16)}" height="{_n(top + 5 * cell + 58)}" fill="#ffffff"/>']
    for p in range(5, 0, -1):
        y = top + (5 - p) * cell
        body.append(f'<text x="{_n(left - 10)}" y="{_n(y + cell / 2 + 4)}" text-anchor="end" fill="{MUTED}">{p}</text>')
        for i in range(1, 6):
            xx = left + (i - 1) * cell
            ids = matrix[p - 1][i - 1]
            body.append(f'<rect class="cell" x="{_n(xx)}" y="{_n(y)}" width="{_n(cell)}" height="{_n(cell)}" '
                        f'fill="{_heat_colour(p * i)}" stroke="#ffffff" stroke-width="2"/>')
            if ids:
                body.append(f'<text x="{_n(xx + cell / 2)}" y="{_n(y + 30)}" text-anchor="middle" font-size="20" '
                            f'font-weight="700" fill="{INK}">{len(ids)}</text>')
                shown = ids[:3] + (["…"] if len(ids) > 3 else [])
                for k, rid in enumerate(shown):
                    body.append(f'<text x="{_n(xx + cell / 2)}" y="{_n(y + 46 + 11 * k)}" text-anchor="middle" '
                                f'font-size="9.5" fill="{INK}">{escape(_clip(rid, 14))}</text>')
    for i in range(1, 6):
        body.append(f'<text x="{_n(left + (i - 0.5) * cell)}" y="{_n(top + 5 * cell + 16)}" text-anchor="middle" '
                    f'fill="{MUTED}">{i}</text>')
    impact, probability = t("Impact"), t("Probability")
    body.append(f'<text x="{_n(left + 2.5 * cell)}" y="{_n(top + 5 * cell + 38)}" text-anchor="middle" fill="{INK}" '
                f'font-weight="600">{escape(impact)}</text>')
    body.append(f'<text transform="translate(18 {_n(top + 2.5 * cell)}) rotate(-90)" text-anchor="middle" '
                f'fill="{INK}" font-weight="600">{escape(probability)}</text>')
    return _svg(left + 5 * cell + 16, top + 5 * cell + 58, title, body, "heatmap")


# --------------------------------------------------------------------------- S-curve


def _nice_step(span: float) -> float:
    raw = span / 5 if span > 0 else 1
    mag = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def scurve(series: list[dict], *, as_of: date, bac: float | None, t, fmt, title: str) -> Markup:
    """Cumulative PV, EV and AC over time (``series`` rows: ``date``, ``pv``, ``ev``,
    ``ac``; ``ev``/``ac`` may be None after the status date) with BAC and today."""
    width, height, left, right, top, bottom = 980.0, 330.0, 90.0, 20.0, 16.0, 60.0
    points = [s for s in series if s.get("date") is not None]
    if len(points) < 2:
        empty = t("No earned-value data.")
        return _svg(width, 40, title, [f'<text x="8" y="24" fill="{MUTED}">{escape(empty)}</text>'], "scurve")
    d0, d1 = points[0]["date"], points[-1]["date"]
    span = max((d1 - d0).days, 1)
    values = [v for s in points for v in (s.get("pv"), s.get("ev"), s.get("ac")) if v is not None]
    vmax = max(values + [bac or 0, 1.0])
    step = _nice_step(vmax)
    vtop = step * -(-vmax // step)
    pw, ph = width - left - right, height - top - bottom

    def x(d: date) -> float:
        return left + (d - d0).days / span * pw

    def y(v: float) -> float:
        return top + ph - v / vtop * ph

    body: list[str] = [f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="#ffffff"/>']
    v = 0.0
    while v <= vtop + 1e-9:
        body.append(f'<line x1="{_n(left)}" y1="{_n(y(v))}" x2="{_n(width - right)}" y2="{_n(y(v))}" stroke="{GRID}"/>')
        body.append(f'<text x="{_n(left - 6)}" y="{_n(y(v) + 4)}" text-anchor="end" fill="{MUTED}">'
                    f'{escape(fmt.number(v))}</text>')
        v += step
    m = d0.replace(day=1)
    months = []
    while m <= d1:
        if m >= d0:
            months.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    every = max(1, -(-len(months) // 12))
    for k, m in enumerate(months):
        if k % every == 0:
            body.append(f'<line x1="{_n(x(m))}" y1="{_n(top)}" x2="{_n(x(m))}" y2="{_n(top + ph)}" stroke="{GRID}"/>')
            body.append(f'<text x="{_n(x(m))}" y="{_n(top + ph + 16)}" text-anchor="middle" fill="{MUTED}">'
                        f'{escape(fmt.date(m, "month"))}</text>')
    if bac:
        body.append(f'<line x1="{_n(left)}" y1="{_n(y(bac))}" x2="{_n(width - right)}" y2="{_n(y(bac))}" '
                    f'stroke="{SUMMARY}" stroke-dasharray="6 4"/>')
        body.append(f'<text x="{_n(left + 4)}" y="{_n(y(bac) - 5)}" fill="{SUMMARY}">BAC</text>')
    lines = (("pv", BLUE, "", t("Planned value (PV)")), ("ev", "#27ae60", "", t("Earned value (EV)")),
             ("ac", RED, ' stroke-dasharray="5 3"', t("Actual cost (AC)")))
    for key, colour, dash, _ in lines:
        pts = [f"{_n(x(s['date']))},{_n(y(s[key]))}" for s in points if s.get(key) is not None]
        if len(pts) >= 2:
            body.append(f'<polyline class="series-{key}" points="{" ".join(pts)}" fill="none" stroke="{colour}" '
                        f'stroke-width="2.2"{dash}/>')
    if d0 <= as_of <= d1:
        body.append(f'<line class="today" x1="{_n(x(as_of))}" y1="{_n(top)}" x2="{_n(x(as_of))}" y2="{_n(top + ph)}" '
                    f'stroke="{TODAY}" stroke-width="2"/>')
    lx, ly = left, height - 14
    for key, colour, dash, text in lines:
        body.append(f'<line x1="{_n(lx)}" y1="{_n(ly - 4)}" x2="{_n(lx + 22)}" y2="{_n(ly - 4)}" stroke="{colour}" '
                    f'stroke-width="2.2"{dash}/>')
        body.append(f'<text x="{_n(lx + 28)}" y="{_n(ly)}" fill="{INK}">{escape(text)}</text>')
        lx += 60 + 7 * len(text)
    body.append(f'<line x1="{_n(lx)}" y1="{_n(ly - 10)}" x2="{_n(lx)}" y2="{_n(ly + 2)}" stroke="{TODAY}" stroke-width="2"/>')
    today = t("status date")
    body.append(f'<text x="{_n(lx + 6)}" y="{_n(ly)}" fill="{INK}">{escape(today)}</text>')
    return _svg(width, height, title, body, "scurve")
