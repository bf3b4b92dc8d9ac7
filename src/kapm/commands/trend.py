"""kapm trend: milestone trend analysis over the git history (SPEC §6)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import typer

from kapm.commands import common

FORMAT_NAMES = ("text", "md", "json", "svg")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def register(app: typer.Typer) -> None:
    @app.command()
    def trend(
        path: Optional[Path] = typer.Argument(None, help="Project folder (default: .)."),
        since: Optional[str] = typer.Option(None, "--since", metavar="REV|DATE",
                                            help="Start at this commit (inclusive) or at commits from this date "
                                                 "(YYYY-MM-DD) on."),
        format: str = typer.Option("text", "--format", "-f", help="text, md, json or svg (MTA chart)."),
        as_of: Optional[str] = common.AsOf,
        output: Optional[Path] = common.Output,
        no_color: bool = common.NoColor,
        quiet: bool = typer.Option(False, "-q", "--quiet",
                                   help="Text format: only the table of forecasts at each commit (no summary, "
                                        "moves or skipped commits)."),
        debug: bool = common.Debug,
    ) -> None:
        """Forecast of each milestone and of the project finish at every commit that touched the project.

        The status date of each point is its commit date, unless --as-of fixes one date for all."""
        from datetime import date

        from kapm.commands.diff import project_dir
        from kapm.gitlayer import GitError
        from kapm.history import open_history
        from kapm.trend import FORMATS, replay

        common.check_format(format, FORMAT_NAMES)
        fixed = common.parse_as_of(as_of) if as_of else None
        folder = project_dir(path)
        try:
            history = open_history(folder, purpose="replay the history of the project")
        except GitError as exc:
            raise common.fail_usage(str(exc)) from None
        with history.repo:
            try:
                history.repo.require_history("kapm trend")
                since_commit, since_day = None, None
                if since is not None and _DATE.match(since):
                    try:
                        since_day = date.fromisoformat(since)
                    except ValueError:
                        raise common.fail_usage(f"--since {since!r} is not a real date") from None
                elif since is not None:
                    since_commit = history.repo.verify(since, what="revision (--since)")
                commits = history.commits(since=since_commit)
                if since_day is not None:
                    commits = [c for c in commits if c.day >= since_day]
                result = replay(history, commits, as_of=fixed)
            except GitError as exc:
                raise common.fail_usage(str(exc)) from None
        color = format == "text" and output is None and common.use_color(no_color)
        if quiet and format == "text":  # the data only: the table of forecasts at each commit
            text = FORMATS[format](result, color, quiet=True)
        else:
            text = FORMATS[format](result, color)
        common.emit(text, output)
