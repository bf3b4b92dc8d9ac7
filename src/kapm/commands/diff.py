"""kapm diff: what changed between two versions of a project (SPEC §6).

Arguments: ``kapm diff [REV_A [REV_B]] [PATH]``.  Each positional argument that names an
existing file or folder is the PATH; the others are git revisions, in order.  So
``kapm diff`` is HEAD → working tree, ``kapm diff v1.0`` is v1.0 → working tree,
``kapm diff origin/main HEAD accounts/acme/erp`` compares two commits.  A revision
that has the name of a folder can be written ``NAME^0``.  Revisions are verified
before use; an unknown one is a usage error (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from kapm.commands import common

FORMAT_NAMES = ("text", "md", "json")


def split_args(args: list[str]) -> tuple[list[str], Path | None]:
    """Positional arguments → (revisions, PATH); raises typer.Exit(2) on misuse."""
    revs: list[str] = []
    path: Path | None = None
    for a in args:
        if a and Path(a).exists():
            if path is not None:
                raise common.fail_usage(f"two paths given ({path} and {a}); pass one project")
            path = Path(a)
        else:
            revs.append(a)
    if len(revs) > 2:
        raise common.fail_usage(f"at most two revisions, got {len(revs)}: {' '.join(revs)} "
                                "(an argument that is not an existing path is read as a revision)")
    return revs, path


def project_dir(path: Path | None) -> Path:
    """The one project under PATH (exit 2 listing the candidates otherwise)."""
    from kapm.workspace import UsageError, discover

    try:
        layout = discover([path or Path(".")])
    except UsageError as exc:
        raise common.fail_usage(str(exc)) from None
    dirs = [p.dir for p in layout.projects]
    if len(dirs) == 1:
        return dirs[0]
    hint = str(path or ".")
    if not dirs:
        raise common.fail_usage(f"no project found in {hint}")
    names = "\n".join(f"  {d}" for d in dirs)
    raise common.fail_usage(f"{hint} holds {len(dirs)} projects; pass one of them:\n{names}")


def print_problems(version, out=None) -> None:
    import sys

    out = out or sys.stderr
    print(f"kapm: the project at {version.label} has errors, so it cannot be compared:", file=out)
    for f in version.problems[:20]:
        loc = f.location
        print(f"  {loc.file}:{loc.line}:{loc.column}: {f.code} {f.message}", file=out)


def register(app: typer.Typer) -> None:
    @app.command()
    def diff(
        args: Optional[List[str]] = typer.Argument(None, metavar="[REV_A [REV_B]] [PATH]",
                                                   help="Revisions (default HEAD and the working tree) and a project "
                                                        "path; an argument naming an existing path is the PATH."),
        format: str = typer.Option("text", "--format", "-f", help="text, md (pull-request comment) or json."),
        as_of: Optional[str] = common.AsOf,
        output: Optional[Path] = common.Output,
        no_color: bool = common.NoColor,
        quiet: bool = typer.Option(False, "-q", "--quiet",
                                   help="Text format: only the changes (no title, summary line or notes; "
                                        "no output when nothing changed)."),
        debug: bool = common.Debug,
    ) -> None:
        """Compare two versions of a project: tasks, dates, critical path, cost, registers (SPEC §6)."""
        from datetime import date

        from kapm.diff import FORMATS, Side, compare, load_sides
        from kapm.gitlayer import GitError
        from kapm.history import open_history

        common.check_format(format, FORMAT_NAMES)
        fixed = common.parse_as_of(as_of) if as_of else None
        today = fixed or date.today()
        revs, path = split_args(list(args or []))
        folder = project_dir(path)
        try:
            history = open_history(folder, purpose="compare versions")
        except GitError as exc:
            raise common.fail_usage(str(exc)) from None
        with history.repo:
            try:
                for r in revs or ["HEAD"]:
                    history.repo.verify(r)
                a, b = load_sides(history, [revs[0] if revs else "HEAD", revs[1] if len(revs) == 2 else None],
                                  fixed=fixed, today=today)
            except GitError as exc:
                raise common.fail_usage(str(exc)) from None
        for v in (a, b):
            if v.problems:
                print_problems(v)
                raise typer.Exit(1)
        if not a.exists and not b.exists:
            raise common.fail_usage(f"the project in {folder} exists in neither {a.label} nor {b.label}")
        sides = [Side(v.label, v.commit.id if v.commit else None, v.as_of, None) for v in (a, b)]
        project = b.project if b.exists else a.project
        record = compare(project, sides[0], sides[1], a.summary, b.summary)
        color = format == "text" and output is None and common.use_color(no_color)
        if quiet and format == "text":
            # the changes only: no title, no summary line (nothing at all when nothing changed)
            text = FORMATS[format](record, color, quiet=True)
        else:
            text = FORMATS[format](record, color)
        common.emit(text, output)
