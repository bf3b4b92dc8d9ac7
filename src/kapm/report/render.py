"""Rendering a report: template lookup, the sandboxed Jinja2 environment, filters and
limits.

Lookup order for ``--template NAME``: the workspace's ``templates/`` folder (a file
named ``NAME.<format>.j2`` there overrides the built-in), then the built-ins (the
top-level ``templates/`` folder of a source checkout, installed as ``kapm/templates``).
``--template FILE`` renders that file; its folder comes first for includes.

Templates run in Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment` with
:class:`~jinja2.StrictUndefined`: no access to private attributes or Python internals,
an undefined name is an error. HTML templates autoescape; Markdown templates escape
user text with the ``md`` filter. Rendering stops after :data:`TIME_LIMIT` seconds or
:data:`SIZE_LIMIT` characters. Every template problem becomes a :class:`TemplateProblem`
with the template's file and line, which the command prints (exit 1).
"""

from __future__ import annotations

import re
import signal
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from kapm.mdtext import md_escape

TIME_LIMIT = 10.0  # seconds of rendering
SIZE_LIMIT = 20 * 1024 * 1024  # characters of output
FORMATS = ("md", "html")
BUILTINS = ("status", "steering", "risks", "changes", "closure")
_MAX_REPEAT = 1_000_000  # longest string or list a template may build with * or **


class TemplateProblem(Exception):
    """A user-facing template error: ``file:line: message``."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        self.message, self.file, self.line = message, file, line
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")


def builtin_dir() -> Path:
    """The built-in templates: ``kapm/templates`` when installed, else ``<repo>/templates``."""
    here = Path(__file__).resolve().parent.parent  # src/kapm or site-packages/kapm
    installed = here / "templates"
    if installed.is_dir():
        return installed
    return here.parent.parent / "templates"


def resolve(template: str, fmt: str, workspace_root: Path | None) -> tuple[list[Path], str, str]:
    """(search path, template name in that path, display name) for ``--template``.

    A value with a path separator or ending in ``.j2`` is a file; anything else a name."""
    search: list[Path] = []
    ws = workspace_root / "templates" if workspace_root is not None else None
    if "/" in template or "\\" in template or template.endswith(".j2"):
        path = Path(template)
        if not path.is_file():
            raise TemplateProblem(f"template file not found: {template}")
        search.append(path.resolve().parent)
        name = path.name
    else:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", template):
            raise TemplateProblem(f"not a template name: {template!r}")
        name = f"{template}.{fmt}.j2"
    if ws is not None and ws.is_dir():
        search.append(ws)
    search.append(builtin_dir())
    if not any((d / name).is_file() for d in search):
        known = ", ".join(BUILTINS)
        raise TemplateProblem(f"no template {name!r}; built-in reports are: {known} "
                              f"(or pass a file: --template path/to/report.{fmt}.j2)")
    return search, name, template


def format_of(template: str, output: Path | None, explicit: str | None) -> str:
    """The output format: ``--format``, else the template file's or output file's suffix."""
    if explicit:
        return explicit
    for candidate in (template, str(output) if output else ""):
        if candidate.endswith(".html.j2") or candidate.endswith(".html") or candidate.endswith(".htm"):
            return "html"
    return "md"


# --------------------------------------------------------------------------- filters


def make_environment(search: list[Path], lang: str, fmt: str, currency: str | None):
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from kapm.report.i18n import Formats, translations

    class ReportEnvironment(SandboxedEnvironment):
        def call_binop(self, context, operator, left, right):
            # no gigantic strings/lists/numbers from a template (memory and time bound)
            if operator == "**" and isinstance(right, (int, float)) and abs(right) > 100:
                raise self.security_error("power with an exponent above 100 is not allowed")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > _MAX_REPEAT:
                        raise self.security_error("repeating a string or list beyond 1,000,000 items")
            return super().call_binop(context, operator, left, right)

        def security_error(self, message):
            from jinja2.exceptions import SecurityError

            return SecurityError(message)

    env = ReportEnvironment(
        loader=FileSystemLoader([str(p) for p in search]),
        undefined=StrictUndefined,
        # HTML output, and any HTML template (even one rendered as --format md), autoescapes
        autoescape=lambda name: fmt == "html" or (name or "").endswith((".html.j2", ".htm.j2")),
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.intercepted_binops = frozenset(["**", "*"])
    env.install_gettext_translations(translations(lang), newstyle=True)
    f = Formats(lang, currency)
    env.filters.update({
        "md": md_escape,
        "date": f.date,
        "number": f.number,
        "signed": f.signed,
        "quantity": f.quantity,
        "money": f.money,
        "ratio": f.ratio,
        "percent": f.percent,
        "label": f.label,
    })
    env.globals["na"] = f.na
    return env


# --------------------------------------------------------------------------- render


class _Timeout(BaseException):  # not swallowed by an "except Exception" in called code
    pass


class _Clock:
    """The template's time budget: a SIGALRM timer (interrupts tight template loops;
    main thread only) plus a deadline checked between output chunks. kapm's own work
    done lazily during rendering (the S-curve, charts) runs with the clock paused."""

    active: "_Clock | None" = None

    def __init__(self, limit: float):
        self.left = limit
        self.started = None
        self.alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")
        self.previous = None

    def start(self):
        if self.alarm:
            def on_alarm(signum, frame):
                raise _Timeout()

            self.previous = signal.signal(signal.SIGALRM, on_alarm)
        self.resume()
        _Clock.active = self

    def resume(self):
        self.started = time.monotonic()
        if self.alarm:
            signal.setitimer(signal.ITIMER_REAL, max(self.left, 0.001))

    def pause(self):
        if self.alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
        self.left -= time.monotonic() - self.started

    def expired(self) -> bool:
        return self.left - (time.monotonic() - self.started) <= 0

    def stop(self):
        if self.alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        _Clock.active = None


@contextmanager
def untimed():
    """Run kapm's own (lazily computed) work outside the template's time limit."""
    clock = _Clock.active
    if clock is None:
        yield
        return
    clock.pause()
    try:
        yield
    finally:
        clock.resume()


def render(context: dict, template: str, fmt: str, workspace_root: Path | None,
           *, time_limit: float = TIME_LIMIT, size_limit: int = SIZE_LIMIT) -> str:
    """Render ``template`` (a name or a file) with ``context``; raise TemplateProblem."""
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    search, name, shown = resolve(template, fmt, workspace_root)
    env = make_environment(search, context["lang"], fmt, context["project"]["currency"])
    files = {str(d / n): d for d in search for n in [name]}
    clock = _Clock(time_limit)
    clock.start()
    try:
        tmpl = env.get_template(name)
        parts: list[str] = []
        size = 0
        for chunk in tmpl.generate(**context):
            size += len(chunk)
            if size > size_limit:
                raise TemplateProblem(f"output is larger than {size_limit:,} characters; rendering stopped",
                                      _display(tmpl.filename))
            if clock.expired():
                raise _Timeout()
            parts.append(chunk)
        text = "".join(parts)
        if fmt == "md":  # block tags leave runs of blank lines; one is enough in Markdown
            text = re.sub(r"\n{3,}", "\n\n", text)
        return text
    except _Timeout:
        raise TemplateProblem(f"rendering took longer than {time_limit:g} seconds; stopped",
                              *_where(None, files, name)) from None
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}",
                              _display(exc.filename or exc.name or name), exc.lineno) from None
    except TemplateNotFound as exc:
        file, line = _where(exc, files, name)
        raise TemplateProblem(f"template not found: {exc.name} (templates can only include other "
                              "templates of the search path)", file, line) from None
    except SecurityError as exc:
        file, line = _where(exc, files, name)
        raise TemplateProblem(f"not allowed in a report template: {exc}", file, line) from None
    except UndefinedError as exc:
        file, line = _where(exc, files, name)
        raise TemplateProblem(f"undefined variable: {exc.message} (see docs/templates.md for the context)",
                              file, line) from None
    except TemplateError as exc:
        file, line = _where(exc, files, name)
        raise TemplateProblem(f"template error: {exc.message or type(exc).__name__}", file, line) from None
    except UnicodeDecodeError as exc:  # a user template file that is not UTF-8
        raise TemplateProblem(f"template file is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset "
                              f"{exc.start})", name, None) from None
    except MemoryError:  # a user template that builds a huge string (replace, ~ in a loop)
        raise TemplateProblem("the template needs more memory than a report may use", name, None) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, RecursionError,
            AssertionError) as exc:
        # a template that calls a filter wrongly, divides by zero, indexes past the end
        file, line = _where(exc, files, name)
        if file is None:
            raise  # not raised in a template: a bug in kapm (exit 3)
        raise TemplateProblem(f"error in template: {type(exc).__name__}: {exc}", file, line) from None
    finally:
        clock.stop()


def _display(filename: str | None) -> str | None:
    if not filename:
        return None
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _where(exc, files: dict, name: str) -> tuple[str | None, int | None]:
    """The template file and line where ``exc`` was raised (innermost template frame:
    Jinja rewrites tracebacks so template frames carry the template's file and line)."""
    if exc is None:
        import sys

        tb = sys.exc_info()[2]
    else:
        tb = exc.__traceback__
    found = (None, None)
    for frame in traceback.extract_tb(tb):
        if frame.filename.endswith(".j2") or frame.filename.endswith(".jinja"):
            found = (_display(frame.filename), frame.lineno)
    return found
