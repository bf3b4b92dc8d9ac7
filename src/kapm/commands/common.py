"""Options and helpers shared by commands (kept light: imported at start-up)."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer

AsOf = typer.Option(None, "--as-of", metavar="DATE",
                    help="Status date (YYYY-MM-DD); default today. Outputs are reproducible for a given date.")
NoColor = typer.Option(False, "--no-color", help="Plain output (also when NO_COLOR is set or output is piped).")
Quiet = typer.Option(False, "-q", "--quiet", help="Print only findings / the result, no summary.")
Debug = typer.Option(False, "--debug", help="Show tracebacks of internal errors.")
Output = typer.Option(None, "-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")


def fail_usage(message: str) -> "typer.Exit":
    """Print a usage error and return the exit to raise (code 2)."""
    print(f"kapm: error: {message}", file=sys.stderr)
    return typer.Exit(2)


def parse_as_of(value: Optional[str]) -> date:
    if value is None:
        return date.today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise fail_usage(f"--as-of {value!r} is not a date; write YYYY-MM-DD") from None
    if not 1900 <= day.year <= 2199:  # date arithmetic near year 1 or 9999 overflows
        raise fail_usage(f"--as-of {value}: choose a status date between 1900 and 2199")
    return day


def use_color(no_color: bool, stream=None) -> bool:
    stream = stream or sys.stdout
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def check_format(value: str, allowed) -> str:
    if value not in allowed:
        raise fail_usage(f"unknown format {value!r}; choose one of: {', '.join(allowed)}")
    return value


def split_codes(values: Optional[list[str]]) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [c.strip().upper() for c in v.split(",") if c.strip()]
    return out


def emit(text: str, output: Optional[Path]) -> None:
    """Write text to stdout or atomically to a file."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from kapm.atomic import write_atomic

    try:
        write_atomic(output, text.encode("utf-8", "surrogateescape"))  # file names that are not UTF-8
    except OSError as exc:
        raise fail_usage(f"cannot write {output}: {exc.strerror or exc}") from None


# Set to a list by kapm.cli.main for a console run, which ends with os._exit: the
# analysis of the command is kept alive there, so returning from the command does not
# free a large model object by object just before the process ends anyway (10,000-task
# check: 0.83 s -> 0.80 s measured; more on larger plans).  In-process callers (tests, CliRunner) keep the normal lifetime.
KEEP_UNTIL_EXIT: list | None = None


def analyze_or_exit(paths: list[Path], as_of: date, **kw):
    """Run the pipeline; a bad path is a usage error (exit 2)."""
    from kapm.analysis import analyze
    from kapm.workspace import UsageError

    try:
        analysis = analyze(paths, as_of=as_of, **kw)
    except UsageError as exc:
        raise fail_usage(str(exc)) from None
    if KEEP_UNTIL_EXIT is not None:
        KEEP_UNTIL_EXIT.append(analysis)
    return analysis


def one_project(analysis, path_hint: str):
    """The single project a command needs (exit 2 listing candidates otherwise)."""
    projects = analysis.projects
    if len(projects) == 1:
        return projects[0]
    if not projects:
        raise fail_usage(f"no project found in {path_hint}")
    names = "\n".join(f"  {p.id}  ({p.dir})" for p in projects)
    raise fail_usage(f"{path_hint} holds {len(projects)} projects; pass one of them:\n{names}")


def exit_on_errors(analysis, proj, day, no_color: bool, purpose: str) -> None:
    """A project with error findings (or no valid model) cannot be planned, reported or
    listed: print its errors on stderr and exit 1 (SPEC §7.2)."""
    from kapm.findings import ERROR
    from kapm.output import FORMATS, Report

    errors = [f for f in analysis.findings if f.severity == ERROR and f.project in (None, proj.id)]
    if not errors and proj.model is not None:
        return
    errors = errors or [f for f in analysis.findings if f.severity == ERROR]
    report = Report(findings=errors, as_of=day.isoformat(), projects=1, files=analysis.files,
                    color=use_color(no_color, sys.stderr))
    sys.stderr.write(FORMATS["text"](report))
    sys.stderr.write(f"kapm: project '{proj.id}' has errors; fix them to {purpose} (kapm check)\n")
    raise typer.Exit(1)


def apply_baseline(project, day, rev, schedule=None) -> dict | None:
    """Baseline dates and finish variances on ``schedule`` (default: the forecast), from the plan at REV
    (``--baseline``, else ``project.baseline``); returns ``{"rev", "commit"}`` or None.
    An unreadable ``--baseline`` is a usage error (exit 2); an unreadable
    ``project.baseline`` only a note."""
    from kapm.gitlayer import GitError
    from kapm.history import apply_baseline as apply, baseline_rev, load_baseline

    wanted = baseline_rev(project, rev)
    if not wanted:
        return None
    if schedule is None:
        schedule = project.schedule(status=True, as_of=day)
    if schedule is None:
        return None
    try:
        base = load_baseline(project, rev)
        apply(schedule, base.plan())
    except GitError as exc:
        if rev:
            raise fail_usage(str(exc)) from None
        print(f"kapm: note: project.baseline not applied: {exc}", file=sys.stderr)
        return None
    commit = base.version.commit
    return {"rev": wanted, "commit": commit.id if commit is not None else None}
