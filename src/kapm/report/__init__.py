"""Reports: one documented context (:mod:`.context`), templates chosen by name with
workspace templates overriding the built-ins (:mod:`.render`), gettext catalogues and
Babel formatting per language (:mod:`.i18n`), inline SVG charts (:mod:`.charts`).

A new report is a new template file; there is no report class hierarchy."""

from __future__ import annotations

from datetime import date
from pathlib import Path


def render_report(result, as_of: date, *, template: str = "status", fmt: str = "md", lang: str = "en",
                  workspace_root: Path | None = None, baseline: dict | None = None) -> str:
    """Build the context of ``result`` and render ``template`` (raises
    :class:`kapm.report.render.TemplateProblem` for template errors)."""
    from kapm.report.context import build_context
    from kapm.report.render import render, resolve

    resolve(template, fmt, workspace_root)  # fail fast, before the schedule is computed
    name = Path(template).name.split(".")[0] if "/" in template or template.endswith(".j2") else template
    context = build_context(result, as_of, lang, template=name, fmt=fmt, baseline=baseline)
    return render(context, template, fmt, workspace_root)
