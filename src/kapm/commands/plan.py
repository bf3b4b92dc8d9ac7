"""kapm plan: the forecast (or plan) schedule with floats, critical path and status."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from kapm.commands import common

FORMAT_NAMES = ("table", "gantt", "json", "csv", "mermaid")


def register(app: typer.Typer) -> None:
    @app.command()
    def plan(
        path: Optional[Path] = typer.Argument(None, help="Project folder or project.yaml (default: .)."),
        no_status: bool = typer.Option(False, "--no-status",
                                       help="The plan schedule: ignore actuals and the status date."),
        critical: bool = typer.Option(False, "--critical", help="Show only the critical tasks."),
        baseline: Optional[str] = typer.Option(None, "--baseline", metavar="REV",
                                               help="Git revision whose plan is the baseline (default: project.baseline)."),
        format: str = typer.Option("table", "--format", "-f", help="table, gantt, json, csv or mermaid."),
        as_of: Optional[str] = common.AsOf,
        output: Optional[Path] = common.Output,
        no_color: bool = common.NoColor,
        quiet: bool = common.Quiet,
        debug: bool = common.Debug,
    ) -> None:
        """Schedule one project: dates, floats, critical path, earned value and health (SPEC §3, §4)."""
        common.check_format(format, FORMAT_NAMES)
        day = common.parse_as_of(as_of)
        analysis = common.analyze_or_exit([path] if path is not None else [], day, errors_only=True)
        proj = common.one_project(analysis, str(path or "."))
        common.exit_on_errors(analysis, proj, day, no_color, "schedule it")

        from kapm.planview import FORMATS, PlanView
        from kapm.schedule import unschedulable_reason

        sch = proj.schedule(status=not no_status, as_of=day)
        if sch is None:
            print(f"kapm: error: project '{proj.id}' cannot be scheduled: "
                  f"{unschedulable_reason(proj) or 'dates out of range'}", file=sys.stderr)
            raise typer.Exit(1)
        common.apply_baseline(proj, day, baseline, sch)
        health = None
        if not no_status:
            from kapm.status import health as project_health

            health = project_health(proj, day)
        color = format in ("table", "gantt") and output is None and common.use_color(no_color)
        view = PlanView(project=proj, schedule=sch, as_of=None if no_status else day, health=health,
                        critical_only=critical, color=color, width=_width(output), quiet=quiet)
        common.emit(FORMATS[format](view), output)


def _width(output) -> int:
    """The terminal's width when printing to one; a fixed width otherwise (reproducible files)."""
    if output is None and sys.stdout.isatty():
        import shutil

        return max(shutil.get_terminal_size((160, 24)).columns, 60)
    return 160
