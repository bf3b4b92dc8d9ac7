"""The command line: a thin Typer app.

Commands live in ``kapm.commands.*``; each imports its heavy work inside the command
function, so ``kapm --help`` loads neither pydantic, networkx, jinja2 nor rich tables.
Exit codes (SPEC §7.2): 0 ok, 1 findings that fail the command, 2 usage error,
3 internal error (one line; the traceback only with ``--debug``).
"""

from __future__ import annotations

import sys

from kapm import __version__

COMMANDS = ("check", "plan", "risks", "portfolio", "report", "diff", "trend", "schema", "rules", "init")


def build_app(only: str | None = None):
    """The Typer app; with ``only``, just that command is registered (Typer turns every
    registered command into a click command on each run: ~1 ms each, plus the import
    of its module).  The output of ``kapm CMD ...`` is the same either way."""
    import importlib

    import typer

    app = typer.Typer(
        name="kapm",
        help="Key-account project management as code: check, schedule, forecast and report "
             "client projects kept as YAML in git.",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def version_callback(value: bool):
        if value:
            print(f"kapm {__version__}")
            raise typer.Exit()

    @app.callback()
    def _root(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                           help="Show the version and exit.")):
        """kapm: key-account project management as code."""

    for name in (only,) if only in COMMANDS else COMMANDS:
        try:
            module = importlib.import_module(f"kapm.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kapm.commands.{name}":
                continue  # command not built in this version
            raise
        module.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    import os

    # pydantic scans every installed distribution for plugins on first use (importlib.metadata,
    # ~20 ms); kapm uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # fast path: no Typer import (start-up budget 60 ms)
        print(f"kapm {__version__}")
        sys.exit(0)
    debug = "--debug" in args
    # A kapm run builds a large graph of small objects and frees almost nothing until it
    # exits; the cyclic collector would traverse that heap again and again (on 100,000
    # tasks, seconds).  Commands that replay many versions (trend) collect explicitly.
    import gc

    gc.disable()
    try:
        app = build_app(args[0] if args else None)
        if argv is None:  # the console script ends with _fast_exit: see KEEP_UNTIL_EXIT
            from kapm.commands import common

            common.KEEP_UNTIL_EXIT = []
        app(args=args, prog_name="kapm")
    except SystemExit as done:
        if argv is None:  # the console script: leave without tearing the heap down object by object
            _fast_exit(done.code)
        raise
    except KeyboardInterrupt:
        print("kapm: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # the one place that catches everything: internal errors exit 3
        if debug:
            import traceback

            traceback.print_exc()
        else:
            detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            print(f"kapm: internal error ({detail}); this is a bug in kapm, "
                  "run again with --debug for the traceback", file=sys.stderr)
        sys.exit(3)


def _fast_exit(code) -> None:
    """Flush and end the process now.  Freeing a 100,000-task model object by object at
    interpreter shutdown costs ~0.5 s and changes nothing: output files are already
    written atomically and closed, and worker pools have been shut down."""
    import os

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): print it like Python does, exit 1
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # output closed by the reader (| head) or already closed
        status = status or 0
    os._exit(status)
