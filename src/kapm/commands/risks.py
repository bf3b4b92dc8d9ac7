"""kapm risks: the risk register and the probability × impact matrix of one project.

Decisions:

* The register lists every risk (open, occurred and closed), sorted by score
  (probability × impact), highest first; risks with the same score keep file order.
  ``days_since_review`` counts calendar days from ``reviewed`` to the status date (null
  when the risk was never reviewed); in the table it is marked when it exceeds the
  ``risk_review_days`` setting (rule K003).
* The matrix counts **open** risks only: ``matrix[probability-1][impact-1]``.  The table
  shows probability 5 at the top and impact 1–5 left to right.
* Zones of the matrix (by score = probability × impact) follow the health thresholds
  of kapm.yaml: **red** ≥ ``risk_red_score`` (15), **amber** ≥ ``risk_amber_score`` (10),
  **green** below — the colours of health and of the report heat map.  With colour the cells are shaded; without it each cell carries the
  zone letter (R, A, G).
* ``--format json`` has the keys of SPEC §7.3, plus ``zones`` (the thresholds used).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from kapm.commands import common

FORMAT_NAMES = ("table", "json")


def risk_register(result, as_of) -> dict:
    """The data of ``kapm risks --format json`` (SPEC §7.3)."""
    p = result.model
    risks = sorted(p.risks, key=lambda r: -r.score)  # stable: ties keep file order
    rows = []
    matrix = [[0] * 5 for _ in range(5)]
    for r in risks:
        rows.append({
            "id": r.id, "title": r.title, "category": r.category, "probability": r.probability,
            "impact": r.impact, "score": r.score, "strategy": r.strategy, "owner": r.owner, "status": r.status,
            "reviewed": r.reviewed.isoformat() if r.reviewed else None,
            "days_since_review": (as_of - r.reviewed).days if r.reviewed else None,
        })
    for r in p.risks:
        if r.status == "open":
            matrix[r.probability - 1][r.impact - 1] += 1
    from kapm.status import thresholds

    th = thresholds(result)
    zones = {"red": th.risk_red_score, "amber": th.risk_amber_score}
    return {"project": p.project.id, "as_of": as_of.isoformat(), "risks": rows, "matrix": matrix, "zones": zones}


def register(app: typer.Typer) -> None:
    @app.command()
    def risks(
        path: Optional[Path] = typer.Argument(None, help="Project folder or project.yaml (default: .)."),
        format: str = typer.Option("table", "--format", "-f", help="table or json."),
        as_of: Optional[str] = common.AsOf,
        output: Optional[Path] = common.Output,
        no_color: bool = common.NoColor,
        quiet: bool = common.Quiet,
        debug: bool = common.Debug,
    ) -> None:
        """Risk register (highest score first) and the probability × impact matrix of open risks."""
        common.check_format(format, FORMAT_NAMES)
        day = common.parse_as_of(as_of)
        analysis = common.analyze_or_exit([path] if path is not None else [], day, run_rules=False)
        proj = common.one_project(analysis, str(path or "."))
        if proj.model is None:
            common.exit_on_errors(analysis, proj, day, no_color, "list its risks")
        data = risk_register(proj, day)
        if format == "json":
            import json

            common.emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output)
            return
        limit = int(proj.config.settings.get("risk_review_days", 30)) if proj.config else 30
        color = output is None and common.use_color(no_color)
        common.emit(format_table(data, proj.model.project.name, limit, color=color, quiet=quiet), output)


_ZONE_STYLE = {"red": "bold white on red", "amber": "black on yellow", "green": "black on green"}


def format_table(data: dict, name: str, review_limit: int, *, color: bool = False, quiet: bool = False,
                 width: int = 160) -> str:
    """The register as a table, then the 5×5 matrix coloured by zone."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from kapm.output import text_console
    from kapm.status import risk_zone

    console = text_console(width, color)
    rows = data["risks"]
    open_count = sum(1 for r in rows if r["status"] == "open")
    if not quiet:
        console.print(Text(f"Risks of {data['project']} ({name}) as of {data['as_of']}: "
                           f"{len(rows)} risks, {open_count} open"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold" if color else "")
    for col, just in (("ID", "left"), ("Score", "right"), ("P", "right"), ("I", "right"), ("Title", "left"),
                      ("Category", "left"), ("Owner", "left"), ("Strategy", "left"), ("Status", "left"),
                      ("Reviewed", "left"), ("Days", "right")):
        table.add_column(col, justify=just, no_wrap=col != "Title", overflow="fold")
    for r in rows:
        z = risk_zone(r["score"], data["zones"]["red"], data["zones"]["amber"])
        days = r["days_since_review"]
        stale = r["status"] == "open" and (days is None or days > review_limit)
        days_text = "never" if days is None else str(days)
        if stale and not color:
            days_text += " !"
        score_style = {"red": "bold red", "amber": "yellow", "green": "green"}[z] if color else ""
        table.add_row(Text(r["id"]), Text(str(r["score"]), style=score_style), Text(str(r["probability"])),
                      Text(str(r["impact"])), Text(r["title"]), Text(r["category"] or "-"), Text(r["owner"] or "-"),
                      Text(r["strategy"] or "-"), Text(r["status"]), Text(r["reviewed"] or "-"),
                      Text(days_text, style="red" if color and stale else ""))
    if rows:
        console.print(table)
    else:
        console.print(Text("No risks recorded."))
    console.print(Text(""))
    console.print(Text("Probability × impact (open risks)"))
    matrix = Table(box=box.SQUARE, show_header=True, pad_edge=True, header_style="bold" if color else "")
    matrix.add_column("P \\ I", justify="right", no_wrap=True)
    for impact in range(1, 6):
        matrix.add_column(str(impact), justify="center", no_wrap=True, min_width=5)
    for prob in range(5, 0, -1):
        cells = [Text(str(prob))]
        for impact in range(1, 6):
            n = data["matrix"][prob - 1][impact - 1]
            z = risk_zone(prob * impact, data["zones"]["red"], data["zones"]["amber"])
            shown = str(n) if n else "."
            if color:
                cells.append(Text(f" {shown} ", style=_ZONE_STYLE[z]))
            else:
                cells.append(Text(f"{shown} {z[0].upper()}"))
        matrix.add_row(*cells)
    console.print(matrix)
    if not quiet:
        legend = (f"zones by score (probability × impact): red ≥ {data['zones']['red']}, amber ≥ {data['zones']['amber']}, green below; "
                  f"'!' or red days: open risk not reviewed within {review_limit} days")
        console.print(Text(legend))
    return console.file.getvalue()
