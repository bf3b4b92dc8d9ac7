"""kapm report: render a report of one project (SPEC §8)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from kapm.commands import common


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        path: Optional[Path] = typer.Argument(None, help="Project folder or project.yaml (default: .)."),
        template: str = typer.Option("status", "--template", "-t", metavar="NAME|FILE",
                                     help="Built-in or workspace template name (status, steering, risks, "
                                          "changes, closure) or a template file."),
        format: Optional[str] = typer.Option(None, "--format", "-f",
                                             help="md (default) or html; inferred from a .html template or -o file."),
        lang: Optional[str] = typer.Option(None, "--lang", help="en or zh (default: kapm.yaml report.lang, else en)."),
        baseline: Optional[str] = typer.Option(None, "--baseline", metavar="REV",
                                               help="Git revision whose plan is the baseline (default: project.baseline)."),
        as_of: Optional[str] = common.AsOf,
        output: Optional[Path] = common.Output,
        quiet: bool = common.Quiet,
        debug: bool = common.Debug,
    ) -> None:
        """Render a report (Markdown or a self-contained HTML file)."""
        from kapm.report.render import FORMATS, TemplateProblem, format_of

        fmt = common.check_format(format_of(template, output, format), FORMATS)
        if lang is not None and lang not in ("en", "zh"):
            raise common.fail_usage(f"unknown language {lang!r}; choose one of: en, zh")
        day = common.parse_as_of(as_of)
        analysis = common.analyze_or_exit([path] if path else [], day, baseline=baseline, errors_only=True)
        project = common.one_project(analysis, str(path or "."))
        common.exit_on_errors(analysis, project, day, True, "report on it")
        report_cfg = analysis.config.section("report")
        language = lang or getattr(report_cfg, "lang", None) or "en"
        from kapm.report import render_report
        from kapm.report.render import resolve

        try:
            resolve(template, fmt, analysis.layout.root)
        except TemplateProblem as exc:  # no such template: a usage error like a bad path
            raise common.fail_usage(str(exc)) from None
        used = common.apply_baseline(project, day, baseline)
        try:
            text = render_report(project, day, template=template, fmt=fmt, lang=language,
                                 workspace_root=analysis.layout.root, baseline=used)
        except TemplateProblem as exc:
            print(f"kapm: report: {exc}", file=sys.stderr)
            raise typer.Exit(1) from None
        common.emit(text, output)
        if output is not None and not quiet:
            print(f"kapm: wrote {output} ({template}, {fmt}, {language}, as of {day.isoformat()})", file=sys.stderr)
