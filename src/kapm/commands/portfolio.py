"""kapm portfolio: every account and project with health, finish vs deadline, SPI/CPI,
open high risks, SLA breaches, CSAT and overdue actions.

Decisions (details in docs/portfolio.md):

* PATH is a workspace, account or project folder (default: .); every project under it is
  checked with all rules (as ``kapm check`` would) and rolled up by :mod:`kapm.portfolio`.
* ``--sort``: ``account`` (default: account id, projects without an account last, then the
  worst health first), ``health`` (worst first; projects with errors before red), ``slip``
  (latest first), ``spi`` / ``cpi`` (lowest first), ``name``; n/a values always last; ties
  are broken by health, account and project id, so the order is deterministic.  JSON,
  Markdown and HTML group projects by account, accounts in the order of their first
  project in the sorted list; the table is flat with an account column.
* Exit code as ``kapm check``: 1 when any error finding exists (a project with errors is
  still listed, with ``health: null`` and ``errors: N``), after the output is written;
  the error findings go to stderr.  0 otherwise; 2 for usage errors.
* md and html are rendered from ``templates/portfolio.{md,html}.j2`` in the sandboxed
  report environment (``--lang``, default kapm.yaml ``report.lang``, else en).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from kapm.commands import common

FORMAT_NAMES = ("table", "json", "md", "html")
SORT_NAMES = ("account", "health", "slip", "spi", "cpi", "name")


def register(app: typer.Typer) -> None:
    @app.command()
    def portfolio(
        path: Optional[Path] = typer.Argument(None, help="Workspace, account or project folder (default: .)."),
        format: str = typer.Option("table", "--format", "-f", help="table, json, md or html."),
        sort: str = typer.Option("account", "--sort", "-s",
                                 help="account (default), health, slip, spi, cpi or name; worst first."),
        lang: Optional[str] = typer.Option(
            None, "--lang", help="md/html language: en or zh (default: kapm.yaml report.lang, else en)."),
        as_of: Optional[str] = common.AsOf,
        output: Optional[Path] = common.Output,
        no_color: bool = common.NoColor,
        quiet: bool = common.Quiet,
        debug: bool = common.Debug,
    ) -> None:
        """Every account and project: health, forecast finish vs deadline, SPI/CPI, risks, SLA, CSAT."""
        common.check_format(format, FORMAT_NAMES)
        if sort not in SORT_NAMES:
            raise common.fail_usage(f"unknown sort {sort!r}; choose one of: {', '.join(SORT_NAMES)}")
        if lang is not None and lang not in ("en", "zh"):
            raise common.fail_usage(f"unknown language {lang!r}; choose one of: en, zh")
        day = common.parse_as_of(as_of)
        from kapm.portfolio import build
        from kapm.workspace import UsageError

        language = "en"
        if format in ("md", "html"):
            language = lang or _config_lang(path)
        try:
            result = build([path] if path is not None else [], day, sort=sort, lang=language)
        except UsageError as exc:
            raise common.fail_usage(str(exc)) from None
        if format == "json":
            import json

            text = json.dumps(result.data, ensure_ascii=False, indent=2) + "\n"
        elif format == "table":
            color = output is None and common.use_color(no_color)
            width = 200
            if output is None and sys.stdout.isatty():
                import shutil

                width = max(80, shutil.get_terminal_size((200, 24)).columns)
            text = format_table(result, color=color, quiet=quiet, width=width)
        else:
            text = render(result, format, language)
        common.emit(text, output)
        if result.findings:
            _report_errors(result, no_color)
            raise typer.Exit(1)


def _config_lang(path: Optional[Path]) -> str:
    from kapm.analysis import load_config
    from kapm.workspace import find_config

    start = path if path is not None else Path.cwd()
    if not start.exists():
        return "en"  # the build reports the bad path (exit 2)
    cfg = load_config(find_config(start.resolve()))
    report = cfg.section("report")
    return getattr(report, "lang", None) or "en"


def _report_errors(result, no_color: bool) -> None:
    from kapm.output import FORMATS, Report

    projects = sum(1 for r in result.rows if r["errors"])
    report = Report(findings=result.findings, as_of=result.as_of.isoformat(), projects=len(result.rows),
                    files=result.files, color=common.use_color(no_color, sys.stderr))
    sys.stderr.write(FORMATS["text"](report))
    sys.stderr.write(f"kapm: portfolio: {projects} of {len(result.rows)} projects have errors; "
                     "they are listed without health (kapm check shows the details)\n")


def render(result, fmt: str, lang: str) -> str:
    """Markdown or HTML from the built-in portfolio template (sandboxed report environment)."""
    from kapm import __version__
    from kapm.portfolio import summary
    from kapm.report.render import builtin_dir, make_environment

    env = make_environment([builtin_dir()], lang, fmt, None)
    template = env.get_template(f"portfolio.{fmt}.j2")
    context = {"lang": lang, "as_of": result.as_of, "kapm_version": __version__, "portfolio": result.data,
               "summary": summary(result.rows)}
    text = template.render(**context)
    if fmt == "md":
        import re

        text = re.sub(r"\n{3,}", "\n\n", text)
    return text


_DOT_STYLE = {"green": "green", "amber": "yellow", "red": "bold red"}
_LETTER = {"green": "G", "amber": "A", "red": "R"}


def _fmt_ratio(x) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _fmt_int(x) -> str:
    return "n/a" if x is None else str(x)


def format_table(result, *, color: bool = False, quiet: bool = False, width: int = 200) -> str:
    """One row per project; coloured RAG dots (letters without colour); CJK-aware widths (rich)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from kapm.output import text_console
    from kapm.portfolio import summary

    console = text_console(width, color)
    counts = summary(result.rows)
    accounts = sum(1 for a in result.data["accounts"] if a["id"] is not None)
    if not quiet:
        console.print(Text(f"Portfolio as of {result.data['as_of']}: {accounts} accounts, {counts['projects']} "
                           f"projects ({counts['red']} red, {counts['amber']} amber, {counts['green']} green"
                           + (f", {counts['errors']} with errors" if counts["errors"] else "") + ")"))

    def dot(value) -> Text:
        if value is None:
            return Text("-")
        if color:
            return Text("●", style=_DOT_STYLE[value])
        return Text(_LETTER[value])

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold" if color else "")
    columns = (("Account", "left"), ("Project", "left"), ("Status", "left"), ("Health", "left"),
               ("S C R K", "left"), ("Finish", "left"), ("Deadline", "left"), ("Slip", "right"),
               ("SPI", "right"), ("CPI", "right"), ("Risks", "right"), ("SLA", "right"), ("CSAT", "right"),
               ("Actions", "right"))
    for col, just in columns:
        table.add_column(col, justify=just, no_wrap=col not in ("Account", "Project"), overflow="fold")
    for r in result.rows:
        acc = r["account"]
        h = r["health"]
        if h is None:
            overall = Text(f"errors: {r['errors']}", style="bold red" if color else "")
            dims = Text("- - - -")
        else:
            overall = Text.assemble(dot(h["overall"]), " ", Text(h["overall"]))
            dims = Text(" ").join(dot(h[d]) for d in ("schedule", "cost", "risk", "client"))
        slip = r["slip_days"]
        slip_text = Text("n/a" if slip is None else (f"+{slip}" if slip > 0 else str(slip)),
                         style="red" if color and slip is not None and slip > 0 else "")
        table.add_row(Text(acc["id"] or "(none)"), Text(f"{r['id']} {r['name'] or ''}".strip()),
                      Text(r["status"] or "-"), overall, dims, Text(r["finish"] or "-"),
                      Text(r["deadline"] or "-"), slip_text, Text(_fmt_ratio(r["spi"])), Text(_fmt_ratio(r["cpi"])),
                      Text(_fmt_int(r["open_high_risks"])), Text(_fmt_int(r["sla_breaches_30d"])),
                      Text(_fmt_int(r["csat"])), Text(_fmt_int(r["overdue_actions"])))
    if result.rows:
        console.print(table)
    else:
        console.print(Text("No projects found."))
    if not quiet and result.rows:
        reasons = []
        for r in result.rows:
            h = r["health"]
            if h is None or h["overall"] == "green":
                continue
            for d in ("schedule", "cost", "risk", "client"):
                if h[d] != "green":
                    reasons.append(Text.assemble(dot(h[d]), f" {r['id']} {d}: {r['reasons'][d]}"))
        if reasons:
            console.print(Text(""))
            console.print(Text("Why not green:"))
            for line in reasons:
                console.print(line)
        console.print(Text(""))
        console.print(Text("S C R K: schedule, cost, risk, client health; Slip: forecast finish − deadline "
                           "in working days (+ = late)"))
        console.print(Text("Risks: open risks scoring ≥ high_risk_score; SLA: breaches in the last 30 days; "
                           "Actions: overdue action items"))
    return console.file.getvalue()
