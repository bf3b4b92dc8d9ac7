"""The pipeline: files → data + source map → model → rules → findings.

It never raises for user mistakes: every problem becomes a :class:`Finding`, and the CLI
decides the exit code.  Heavy work (schedule) is computed lazily and at most once per
project, so ``check`` and ``plan`` share it.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from kapm.findings import ERROR, SEVERITY_RANK, WARNING, Finding, Location
from kapm.suppress import IGNORE_COMMENT
from kapm.workspace import Layout, Source, SourceFile, discover, merge, read_source, read_sources
from kapm.yamlload import DEFAULT_MAX_BYTES as DEFAULT_MAX


@dataclass
class AccountResult:
    """An account.yaml as read and validated."""

    file: SourceFile
    model: object = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def id(self) -> str | None:
        return self.model.account.id if self.model is not None else None


@dataclass
class ProjectResult:
    """One project through the pipeline: files, merged document, model, findings, and
    schedules computed on demand."""

    dir: Path
    files: list[SourceFile]
    source: Source
    doc: dict
    model: object = None
    account: AccountResult | None = None
    findings: list[Finding] = field(default_factory=list)
    config: "Config" = None
    as_of: date | None = None
    baseline_rev: str | None = None  # --baseline REV (kapm.history reads it; else project.baseline)

    @property
    def id(self) -> str:
        if self.model is not None:
            return self.model.project.id
        proj = self.doc.get("project")
        if isinstance(proj, dict) and isinstance(proj.get("id"), str):
            return proj["id"]
        return self.dir.name

    @property
    def ok(self) -> bool:
        """No error-severity findings: safe to schedule and report."""
        return self.model is not None and not any(f.severity == ERROR for f in self.findings)

    @cached_property
    def people(self) -> dict:
        """Person id -> team member or contact (account people first, project overrides)."""
        people: dict = {}
        for owner in (self.account.model if self.account else None, self.model):
            if owner is None:
                continue
            for p in list(owner.team) + list(owner.contacts):
                people[p.id] = p
        return people

    def schedule(self, *, status: bool = True, as_of: date | None = None):
        """The forecast (``status=True``) or plan schedule, computed once per variant."""
        key = (status, as_of or self.as_of)
        cache = self.__dict__.setdefault("_schedules", {})
        if key not in cache:
            from kapm.schedule import schedule_project

            cache[key] = schedule_project(self, status=status, as_of=key[1])
        return cache[key]


@dataclass
class Config:
    """Workspace settings (kapm.yaml) with defaults filled in."""

    file: SourceFile | None = None
    model: object = None
    settings: dict = field(default_factory=dict)
    select: tuple = ("ALL",)
    ignore: tuple = ()
    severity: dict = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX
    findings: list[Finding] = field(default_factory=list)

    def section(self, name: str):
        return getattr(self.model, name, None) if self.model is not None else None


@dataclass
class Analysis:
    """The result of :func:`analyze`: every account and project, and all findings."""

    layout: Layout
    config: Config
    accounts: list[AccountResult]
    projects: list[ProjectResult]
    findings: list[Finding]
    as_of: date
    files: int



def baseline_rev(result, rev: str | None = None) -> str | None:
    """The baseline revision in force: ``rev`` (``--baseline``), else the one given to
    analyze, else ``project.baseline``.  (Here, not in kapm.history, so that rule X003
    can tell there is no baseline without importing the git layer.)"""
    if rev:
        return rev
    if getattr(result, "baseline_rev", None):
        return result.baseline_rev
    model = getattr(result, "model", None)
    return getattr(model.project, "baseline", None) if model is not None else None


def _settings(settings) -> dict:
    """The rule settings as a dict (``model_dump`` without building a serializer: the
    fields are plain numbers)."""
    return {name: getattr(settings, name) for name in type(settings).model_fields}


def load_config(path: Path | None, raw: bytes | None = None) -> Config:
    from kapm.model import WorkspaceConfig
    from kapm.model.cache import validate as cached_validate

    cfg = Config(model=cached_validate(WorkspaceConfig, {"kapm": 1}))
    cfg.settings = _settings(cfg.model.rules.settings)
    if path is None:
        return cfg
    sf = read_source(path, DEFAULT_MAX, raw)
    cfg.file = sf
    cfg.findings.extend(sf.findings)
    if sf.data is None or sf.findings:
        return cfg
    from kapm.validate import validate

    source = Source(files=[sf])
    model, findings = validate(WorkspaceConfig, sf.data, source)
    cfg.findings.extend(findings)
    if model is None:
        return cfg
    cfg.model = model
    rules = model.rules
    cfg.settings = _settings(rules.settings)
    cfg.select = tuple(rules.select)
    cfg.ignore = tuple(rules.ignore)
    cfg.severity = dict(rules.severity)
    cfg.findings.extend(_config_codes(rules, source))
    cfg.max_bytes = int(model.limits.max_file_mb * 1024 * 1024)
    cfg.findings.extend(calendar_findings(model.calendar, source))
    return cfg


def _config_codes(rules, source: Source) -> list[Finding]:
    """Unknown codes or families in kapm.yaml are findings themselves."""
    from kapm.rules import all_rules
    from kapm.rules.registry import FAMILIES

    known = all_rules()
    out = []
    for key in ("select", "ignore"):
        for i, sel in enumerate(getattr(rules, key)):
            if sel != "ALL" and sel not in known and sel not in FAMILIES:
                out.append(Finding("S002", ERROR, f"rules.{key}: unknown rule code or family '{sel}'",
                                   source.locate(("rules", key, i)),
                                   "run 'kapm rules' for the list of codes; families are letters like K or C"))
    for code in rules.severity:
        if code not in known:
            out.append(Finding("S002", ERROR, f"rules.severity: unknown rule code '{code}'",
                               source.locate(("rules", "severity", code), key=True),
                               "run 'kapm rules' for the list of codes"))
    return out


def _load_account(path: Path, cfg: Config, raw: bytes | None = None) -> AccountResult:
    sf = read_source(path, cfg.max_bytes, raw)
    res = AccountResult(file=sf, findings=list(sf.findings))
    if sf.data is None or sf.findings:
        return res
    from kapm.model import AccountFile, assign_paths
    from kapm.validate import validate

    model, findings = validate(AccountFile, sf.data, Source(files=[sf]))
    res.findings.extend(findings)
    if model is not None:
        assign_paths(model)
        res.model = model
    return res


def load_project(folder: Path, files: list[Path], cfg: Config, contents: dict | None = None) -> ProjectResult:
    """Read, merge and validate one project's files (no rules yet).

    ``contents`` maps some of ``files`` to their bytes (older versions read from git by
    :mod:`kapm.history`); those files are not read from disk."""
    contents = contents or {}
    if contents:
        sources = [read_source(p, cfg.max_bytes, contents.get(p)) for p in files]
    else:
        sources = read_sources(files, cfg.max_bytes)
    findings = [f for sf in sources for f in sf.findings]
    readable = [sf for sf in sources if sf.data is not None and not sf.findings]
    doc, source, merge_findings = merge(readable if readable else sources)
    findings += merge_findings
    res = ProjectResult(dir=folder, files=sources, source=source, doc=doc, findings=findings, config=cfg)
    if len(readable) != len(sources) or merge_findings:
        return res
    from kapm.model import ProjectDoc, assign_paths
    from kapm.validate import validate

    model, vfindings = validate(ProjectDoc, doc, source)
    res.findings.extend(vfindings)
    if model is not None:
        assign_paths(model)
        res.model = model
        res.findings.extend(_leaf_durations(model, source))
        res.findings.extend(calendar_findings(model.calendar, source))
    return res


def _supported_countries() -> set[str]:
    """ISO codes the holidays package knows, from its registry (list_supported_countries()
    imports every country module: 0.1 s)."""
    try:
        from holidays.registry import COUNTRIES

        return {code for entry in COUNTRIES.values() for code in entry[1:3]}
    except (ImportError, AttributeError, IndexError, TypeError):  # registry layout changed
        import holidays

        return set(holidays.list_supported_countries())


def calendar_findings(calendar, source: Source) -> list[Finding]:
    """S002 for a calendar country the `holidays` package does not know."""
    if calendar is None or not calendar.country:
        return []
    from kapm.workdays import country_is_stored

    if country_is_stored(calendar.country):
        return []
    supported = _supported_countries()
    if calendar.country in supported:
        return []
    import difflib

    close = difflib.get_close_matches(calendar.country.upper(), list(supported), n=1)
    return [Finding("S002", ERROR, f"calendar: unknown country {calendar.country!r}; its public holidays "
                                   "cannot be loaded, so the project cannot be scheduled",
                    source.locate(calendar.path + ("country",)),
                    f"did you mean {close[0]!r}?" if close else
                    "use an ISO 3166 country code the holidays package supports, e.g. CN, US, DE")]


def _leaf_durations(model, source: Source) -> list[Finding]:
    """S003 for a leaf task of unknown length (schema-level: it cannot be scheduled)."""
    out = []
    stack = list(model.tasks)
    while stack:
        t = stack.pop()
        if t.tasks:
            stack.extend(t.tasks)
        elif not t.milestone and t.duration is None and t.estimate is None:  # planned_duration() is None
            out.append(Finding("S003", ERROR, f"task '{t.id}' has no duration, estimate or milestone: true",
                               source.locate(t.path),
                               "add duration: 5d (working days), an estimate, or milestone: true"))
    return out


def accounts_by_dir(accounts: list[AccountResult]) -> dict:
    """Account folder -> account (build once per run, not once per project)."""
    return {a.file.path.parent.resolve(): a for a in accounts}


def _attach_account(proj: ProjectResult, accounts: list[AccountResult], by_dir: dict | None = None) -> None:
    if by_dir is None:
        by_dir = accounts_by_dir(accounts)
    here = proj.dir.resolve()
    for folder in (here, *here.parents):  # the project's own folder may hold the account
        if folder in by_dir:
            proj.account = by_dir[folder]
            break
    named = getattr(proj.model.project, "account", None) if proj.model is not None else None
    if named:
        match = next((a for a in accounts if a.id == named), None)
        if match is not None:
            proj.account = match


def analyze(paths: list[Path], *, as_of: date, select=None, ignore=None, run_rules: bool = True,
            baseline: str | None = None, errors_only: bool = False) -> Analysis:
    """Run the whole check pipeline over PATHs (raises workspace.UsageError for bad paths).

    ``baseline``: a git revision (``--baseline``) that rules comparing with the baseline
    (X003) use instead of ``project.baseline``; see :mod:`kapm.history`."""
    gc_was = gc.isenabled()
    gc.disable()  # the pipeline allocates many small objects and frees few: 2-3x faster
    try:
        return _analyze(paths, as_of=as_of, select=select, ignore=ignore, run_rules=run_rules, baseline=baseline,
                        errors_only=errors_only)
    finally:
        if gc_was:
            gc.enable()


def _analyze(paths, *, as_of, select, ignore, run_rules, baseline=None, errors_only=False) -> Analysis:
    layout = discover(paths)
    cfg = load_config(layout.config)
    accounts = [_load_account(p, cfg) for p in layout.accounts]
    by_dir = accounts_by_dir(accounts)
    projects = []
    for pf in layout.projects:
        proj = load_project(pf.dir, pf.files, cfg)
        proj.as_of = as_of
        proj.baseline_rev = baseline
        _attach_account(proj, accounts, by_dir)
        projects.append(proj)
    findings: list[Finding] = list(cfg.findings)
    for acc in accounts:
        findings.extend(acc.findings)
    if run_rules:
        from kapm.rules import run_rules as run

        run(projects, accounts, cfg, as_of, select=select, ignore=ignore, errors_only=errors_only)
    for proj in projects:
        findings.extend(f.with_project(proj.id) for f in proj.findings)
    files = len({sf.display for p in projects for sf in p.files} | {a.file.display for a in accounts}
                | ({cfg.file.display} if cfg.file else set()))
    findings = _apply_config(findings, cfg, projects, accounts, select, ignore)
    return Analysis(layout, cfg, accounts, projects, findings, as_of, files)


def _selected(code: str, selectors) -> bool:
    return any(s == "ALL" or s == code or (len(s) < len(code) and code.startswith(s)) for s in selectors)


def _apply_config(findings, cfg: Config, projects, accounts, select, ignore) -> list[Finding]:
    """Select/ignore, severity overrides, inline ``# kapm: ignore[...]``; sorted, deduplicated."""
    select = tuple(select) if select else cfg.select
    ignore = tuple(cfg.ignore) + tuple(ignore or ())
    ignores_by_file: dict[str, dict] = {}
    owner: dict[str, str] = {sf.display: p.id for p in projects for sf in p.files}
    for sf in [f for p in projects for f in p.files] + [a.file for a in accounts] + ([cfg.file] if cfg.file else []):
        table = sf.ignore_comments()
        if table:
            ignores_by_file[sf.display] = (sf, table)
    out = []
    for sf_display, (sf, table) in ignores_by_file.items():
        lines = (sf.text or "").split("\n")
        for line, codes in table.items():
            if codes is None:
                m = IGNORE_COMMENT.search(lines[line - 1]) if line <= len(lines) else None
                col = m.start() + 1 if m else 1
                out.append(Finding("S006", WARNING, "'# kapm: ignore' names no rule code, so it silences nothing",
                                   Location(sf_display, line, max(col, 1)),
                                   "write the codes to silence: # kapm: ignore[K003]", owner.get(sf_display)))
    for f in findings:
        codes = ignores_by_file.get(f.location.file, (None, {}))[1].get(f.location.line)
        if codes and f.code in codes:
            continue
        out.append(f)
    kept = []
    seen = set()
    for f in out:
        if not _selected(f.code, select) or _selected(f.code, ignore):
            continue
        if f.code in cfg.severity:
            f = f.with_severity(cfg.severity[f.code])
        key = (f.code, f.location, f.message)
        if key in seen:
            continue
        seen.add(key)
        kept.append(f)
    kept.sort(key=lambda f: (f.location.file, f.location.line, f.location.column,
                             SEVERITY_RANK[f.severity], f.code, f.message))
    return kept
