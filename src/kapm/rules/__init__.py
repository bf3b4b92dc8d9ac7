"""Rules: the registry (filled by importing the rule modules listed here) and the runner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kapm.findings import Finding
from kapm.rules.registry import REGISTRY, Hit, Rule

# Rule modules, explicitly: importing one registers its rules.
from kapm.rules import stages, refs  # noqa: E402,F401
from kapm.rules import owners, goals, risk, client, change, budget, quality  # noqa: E402,F401
from kapm.rules import plan  # noqa: E402,F401
from kapm.rules import history_rules  # noqa: E402,F401


def all_rules() -> dict[str, Rule]:
    return dict(sorted(REGISTRY.items()))


@dataclass
class RuleContext:
    """What a rule sees: the validated project and everything derived from it lazily."""

    result: object  # analysis.ProjectResult
    as_of: date
    settings: dict

    @property
    def project(self):
        """The validated ProjectDoc."""
        return self.result.model

    @property
    def source(self):
        return self.result.source

    @property
    def account(self):
        """The AccountFile model of the project's account, or None."""
        acc = self.result.account
        return acc.model if acc is not None else None

    @property
    def account_file(self):
        acc = self.result.account
        return acc.file if acc is not None else None

    @property
    def people(self) -> dict:
        return self.result.people

    @property
    def wbs(self):
        from kapm.wbs import project_wbs

        return project_wbs(self.result)

    def assignee_path(self, task, who: str) -> tuple:
        """Path of one assignee of ``task``: ``assignees`` is a mapping (person -> percent)
        or a plain list in the file, and the model normalises both to a mapping."""
        raw = self.result.doc
        try:
            for part in task.path + ("assignees",):
                raw = raw[part]
        except (KeyError, IndexError, TypeError):
            raw = None
        if isinstance(raw, list) and who in raw:
            return task.path + ("assignees", raw.index(who))
        return task.path + ("assignees", who)

    def schedule(self, status: bool = True):
        """The forecast schedule (None when the plan cannot be scheduled)."""
        return self.result.schedule(status=status, as_of=self.as_of)


def active_rules(config, *, select=None, ignore=None, errors_only: bool = False) -> list[Rule]:
    """The checking rules a run needs: selected, not ignored, and, for commands that only
    stop on errors (plan, report), only those whose effective severity is error."""
    from kapm.analysis import _selected
    from kapm.findings import ERROR

    select = tuple(select) if select else config.select
    ignore = tuple(config.ignore) + tuple(ignore or ())
    out = []
    for r in REGISTRY.values():
        if r.check is None or not _selected(r.code, select) or _selected(r.code, ignore):
            continue
        if errors_only and config.severity.get(r.code, r.severity) != ERROR:
            continue
        out.append(r)
    return out


def run_rules(projects, accounts, config, as_of: date, *, select=None, ignore=None,
              errors_only: bool = False) -> None:
    """Run the active project rules on every valid project; findings go onto each project."""
    rules = active_rules(config, select=select, ignore=ignore, errors_only=errors_only)
    for proj in projects:
        if proj.model is None:
            continue
        ctx = RuleContext(proj, as_of, config.settings)
        for r in sorted(rules, key=lambda r: r.code):
            for hit in r.check(ctx) or ():
                proj.findings.append(_to_finding(r, hit, proj.source))


def _to_finding(r: Rule, hit: Hit, source) -> Finding:
    where = hit.source if hit.source is not None else source
    return Finding(r.code, r.severity, hit.message, where.locate(hit.path, key=hit.key), hit.hint)
