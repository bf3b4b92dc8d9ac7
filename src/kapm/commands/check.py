"""kapm check: run every rule and report findings."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from kapm.commands import common


def register(app: typer.Typer) -> None:
    @app.command()
    def check(
        paths: List[Path] = typer.Argument(None, help="Project, account or workspace folders (default: .)."),
        format: str = typer.Option("text", "--format", "-f", help="text, json, github, junit or sarif."),
        strict: bool = typer.Option(False, "--strict", help="Warnings fail the check too (exit 1)."),
        select: Optional[List[str]] = typer.Option(None, "--select", help="Only these codes or families (e.g. K,C001)."),
        ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these codes or families."),
        baseline: Optional[str] = typer.Option(None, "--baseline", metavar="REV",
                                               help="Git revision of the baseline for X003 (default: project.baseline)."),
        as_of: Optional[str] = common.AsOf,
        output: Optional[Path] = common.Output,
        no_color: bool = common.NoColor,
        quiet: bool = common.Quiet,
        debug: bool = common.Debug,
    ) -> None:
        """Check projects against the file format and every rule (SPEC §5)."""
        from kapm.output import FORMATS, Report

        common.check_format(format, FORMATS)
        day = common.parse_as_of(as_of)
        analysis = common.analyze_or_exit(list(paths or []), day, select=common.split_codes(select),
                                          ignore=common.split_codes(ignore), baseline=baseline)
        if baseline is not None:
            _require_baseline(analysis, baseline)
        from kapm.rules import all_rules

        report = Report(findings=analysis.findings, as_of=day.isoformat(), projects=len(analysis.projects),
                        files=analysis.files, color=format == "text" and output is None and common.use_color(no_color),
                        rules=all_rules(), project_ids=[p.id for p in analysis.projects])
        text = FORMATS[format](report)
        if quiet and format == "text":
            text = "".join(line + "\n" for line in text.splitlines()[:-1])
        common.emit(text, output)
        counts = report.counts()
        if counts["error"] or (strict and counts["warning"]):
            raise typer.Exit(1)


def _require_baseline(analysis, rev: str) -> None:
    """An explicit --baseline must be readable for every project: an unknown or unsafe
    revision, no repository, or a project missing or invalid at REV is exit 2, as for plan
    and report.  (A project.baseline that cannot be read is finding X003 instead.)"""
    from kapm.gitlayer import GitError
    from kapm.history import load_baseline

    for proj in analysis.projects:
        try:
            load_baseline(proj, rev)
        except GitError as exc:
            raise common.fail_usage(str(exc)) from None
