"""The portfolio roll-up: every account and project with health and key figures (SPEC §7.1).

One row per project, computed by the same per-project pipeline as ``kapm check`` (load,
validate, all rules, config filtering) followed by the status layer (forecast, earned
value, health) and the SLA arithmetic.  Rows are plain JSON-able dicts, so they can be
computed in worker processes and sent back cheaply.

Figures of a row (see docs/portfolio.md for the decisions):

* ``health`` / ``reasons`` — :func:`kapm.status.health` (``reasons`` carries the four
  dimensions and ``overall``);
* ``finish`` — forecast finish; ``deadline`` — ``project.deadline``; ``slip_days`` —
  :attr:`kapm.schedule.Schedule.slip_days` (working days of the project calendar,
  negative = ahead, null without a deadline);
* ``spi`` / ``cpi`` — rounded to 2 decimals, null when undefined;
* ``open_high_risks`` — open risks scoring ≥ the ``high_risk_score`` setting (10);
* ``sla_breaches_30d`` — :func:`kapm.sla.request_breaches` whose ``breached_at`` lies in
  the 30 days ending on the status date (``as_of − 29 … as_of``: the window of the client
  health dimension, so the count and the client reason agree);
* ``csat`` — the latest survey's CSAT on or before the status date;
* ``overdue_actions`` — log action items with ``due`` before the status date and no
  ``done`` on or before it (exactly what rule C002 reports);
* ``errors`` — error-severity findings of the project after kapm.yaml filtering.  A
  project with errors keeps ``id``, ``name``, ``status`` and ``deadline`` where they can
  be read; every other figure is null.

Parallelism: with more than :data:`PARALLEL_MIN` projects and the ``fork`` start method
available, projects are computed by a process pool (one worker per CPU, at most
:data:`MAX_JOBS`); workers inherit the loaded config and accounts through fork.
``KAPM_PORTFOLIO_JOBS`` forces a number of workers (``1`` = serial).  Results are put
back in discovery order before sorting, so the output is identical either way.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from kapm.findings import ERROR, Finding, Location

__all__ = ["Portfolio", "build", "SORTS", "sort_rows", "PARALLEL_MIN", "JOBS_ENV"]

SORTS = ("account", "health", "slip", "spi", "cpi", "name")
PARALLEL_MIN = 8  # fewer projects: serial (a pool costs ~50 ms to start)
MAX_JOBS = 8
JOBS_ENV = "KAPM_PORTFOLIO_JOBS"
_HEALTH_RANK = {None: 3, "red": 2, "amber": 1, "green": 0}  # None: the project has errors

# State shared with worker processes (set before the pool forks; read-only afterwards).
_SHARED: dict = {}


@dataclass
class Portfolio:
    """The roll-up: ``data`` is the JSON document of SPEC §7.3; ``rows`` the flat sorted list
    (each row also carries ``account`` = its account entry without projects)."""

    as_of: date
    data: dict
    rows: list[dict]
    findings: list[Finding] = field(default_factory=list)  # error findings, sorted
    files: int = 0

    @property
    def errors(self) -> int:
        return len(self.findings)


# --------------------------------------------------------------------------- one project


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _raw_project_field(doc: dict, key: str):
    """A text or date field of the raw ``project`` section (the model is invalid)."""
    proj = doc.get("project") if isinstance(doc, dict) else None
    value = proj.get(key) if isinstance(proj, dict) else None
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str) else None


def project_row(result, as_of: date, errors: int, gettext=None) -> dict:
    """The portfolio row of one loaded (and checked) project; ``gettext`` translates the
    health reasons (English without it)."""
    p = result.model
    if p is None or errors:
        deadline = p.project.deadline.isoformat() if p is not None and p.project.deadline else None
        if p is None:
            deadline = _raw_project_field(result.doc, "deadline")
        return {"id": result.id, "name": p.project.name if p is not None else _raw_project_field(result.doc, "name"),
                "status": p.project.status if p is not None else _raw_project_field(result.doc, "status"),
                "health": None, "reasons": None, "finish": None, "deadline": deadline, "slip_days": None,
                "spi": None, "cpi": None, "open_high_risks": None, "sla_breaches_30d": None, "csat": None,
                "overdue_actions": None, "errors": errors}
    from kapm import sla
    from kapm.status import health

    h = health(result, as_of, gettext=gettext)
    fc = result.schedule(status=True, as_of=as_of)
    settings = result.config.settings if result.config is not None else {}
    high = int(settings.get("high_risk_score", 10))
    since = as_of - timedelta(days=sla.client_window_days(result))
    breaches = sum(1 for b in sla.request_breaches(result, as_of) if since < b.breached_at.date() <= as_of)
    surveys = p.csat_surveys(as_of)
    overdue = sum(1 for e in p.log for a in e.actions if a.is_overdue(as_of))
    return {
        "id": p.project.id, "name": p.project.name, "status": p.project.status,
        "health": {"overall": h.overall, "schedule": h.schedule, "cost": h.cost, "risk": h.risk,
                   "client": h.client},
        "reasons": {k: h.reasons[k] for k in ("overall", "schedule", "cost", "risk", "client")},
        "finish": fc.finish.isoformat() if fc is not None else None,
        "deadline": p.project.deadline.isoformat() if p.project.deadline else None,
        "slip_days": fc.slip_days if fc is not None else None,
        "spi": _round(h.spi), "cpi": _round(h.cpi),
        "open_high_risks": sum(1 for r in p.risks if r.status == "open" and r.score >= high),
        "sla_breaches_30d": breaches,
        "csat": surveys[-1].csat if surveys else None,
        "overdue_actions": overdue,
        "errors": 0,
    }


def _compute(index: int) -> tuple[int, int | None, dict, list[tuple], tuple]:
    """Load, check and roll up project ``index`` of the shared layout.

    Returns (index, account index or None, row, error findings as plain tuples, file names)."""
    from kapm.analysis import _apply_config, _attach_account, load_project
    from kapm.rules import run_rules

    cfg, accounts, as_of, projects = _SHARED["cfg"], _SHARED["accounts"], _SHARED["as_of"], _SHARED["projects"]
    pf = projects[index]
    proj = load_project(pf.dir, pf.files, cfg)
    proj.as_of = as_of
    _attach_account(proj, accounts, _SHARED["by_dir"])
    # only errors change a portfolio row (warnings are kapm check's business): skip the other rules
    run_rules([proj], accounts, cfg, as_of, errors_only=True)
    findings = [f.with_project(proj.id) for f in proj.findings]
    findings = _apply_config(findings, cfg, [proj], [proj.account] if proj.account else [], None, None)
    errors = [f for f in findings if f.severity == ERROR]
    row = project_row(proj, as_of, len(errors), _SHARED.get("gettext"))
    acc = next((i for i, a in enumerate(accounts) if a is proj.account), None)
    files = tuple(sf.display for sf in proj.files)
    return index, acc, row, [_pack(f) for f in errors], files


def _pack(f: Finding) -> tuple:
    loc = f.location
    return (f.code, f.severity, f.message, loc.file, loc.line, loc.column, f.hint, f.project)


def _unpack(t: tuple) -> Finding:
    return Finding(t[0], t[1], t[2], Location(t[3], t[4], t[5]), t[6], t[7])


def _chunk(indexes: list[int]) -> list:
    gc_was = gc.isenabled()
    gc.disable()  # as in analysis.analyze: many small objects, few freed
    try:
        return [_compute(i) for i in indexes]
    finally:
        if gc_was:
            gc.enable()


def jobs_for(n: int) -> int:
    """Worker processes for ``n`` projects (1 = serial)."""
    forced = os.environ.get(JOBS_ENV, "").strip()
    if forced:
        try:
            return max(1, int(forced))
        except ValueError:
            pass
    import multiprocessing

    if n < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS, n))


def _run(n: int, jobs: int) -> list:
    if jobs <= 1 or n <= 1:
        return _chunk(list(range(n)))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return _chunk(list(range(n)))
    # The first project runs here: the lazy imports (rules, holidays tables) and caches it
    # warms are then inherited by every worker instead of being repeated in each.
    out: list = _chunk([0])
    # Interleaved chunks (i, i + k, i + 2k …) balance big and small projects; a few chunks
    # per worker keep the pickling overhead low and the workers busy to the end.
    k = max(1, min(n - 1, jobs * 4))
    chunks = [list(range(i, n, k)) for i in range(1, k + 1)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        for part in pool.map(_chunk, chunks):
            out.extend(part)
    out.sort(key=lambda r: r[0])
    return out


# --------------------------------------------------------------------------- the roll-up


def _account_entry(acc) -> dict:
    if acc.model is not None:
        a = acc.model.account
        return {"id": a.id, "name": a.name, "tier": a.tier, "owner": a.owner}
    raw = acc.file.data.get("account") if isinstance(acc.file.data, dict) else None
    raw = raw if isinstance(raw, dict) else {}

    def text(key):
        return raw.get(key) if isinstance(raw.get(key), str) else None

    return {"id": text("id") or acc.file.path.parent.name, "name": text("name"), "tier": text("tier"),
            "owner": text("owner")}


_NO_ACCOUNT = {"id": None, "name": None, "tier": None, "owner": None}


def _none_last(value, reverse: bool = False):
    """Sort key part: None after every value; ``reverse`` sorts the values descending."""
    if value is None:
        return (1, 0)
    return (0, -value if reverse else value)


def _row_key(row: dict, sort: str) -> tuple:
    acc = row["account"]
    account = (acc["id"] is None, acc["id"] or "", row["_account_index"])
    health = -_HEALTH_RANK[row["health"]["overall"] if row["health"] else None]
    slip = _none_last(row["slip_days"], reverse=True)
    ident = (row["id"], row["_index"])
    if sort == "account":
        return (account, health, slip, ident)
    if sort == "health":
        return (health, slip, account, ident)
    if sort == "slip":
        return (slip, health, account, ident)
    if sort in ("spi", "cpi"):
        return (_none_last(row[sort]), health, account, ident)
    if sort == "name":
        return ((row["name"] or "").casefold(), row["name"] or "", account, ident)
    raise ValueError(f"unknown sort {sort!r}")


def sort_rows(rows: list[dict], sort: str) -> list[dict]:
    return sorted(rows, key=lambda r: _row_key(r, sort))


def build(paths: list[Path], as_of: date, *, sort: str = "account", jobs: int | None = None,
          lang: str = "en") -> Portfolio:
    """Check and roll up every project under ``paths`` (raises workspace.UsageError for bad
    paths).  ``lang`` is the language of the health reasons (JSON and table: en)."""
    from kapm.analysis import _apply_config, _load_account, accounts_by_dir, load_config
    from kapm.workspace import discover

    layout = discover(paths)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        cfg = load_config(layout.config)
        accounts = [_load_account(p, cfg) for p in layout.accounts]
    finally:
        if gc_was:
            gc.enable()
    by_dir = accounts_by_dir(accounts)
    gettext = None
    if lang != "en":
        from kapm.report.i18n import translations

        gettext = translations(lang).gettext
    _SHARED.update(cfg=cfg, accounts=accounts, as_of=as_of, projects=list(layout.projects), by_dir=by_dir,
                   gettext=gettext)
    try:
        n = len(layout.projects)
        results = _run(n, jobs if jobs is not None else jobs_for(n))
    finally:
        _SHARED.clear()
    entries = [_account_entry(a) for a in accounts]
    rows = []
    findings = [f for f in _apply_config(list(cfg.findings) + [f for a in accounts for f in a.findings],
                                         cfg, [], accounts, None, None) if f.severity == ERROR]
    files = {a.file.display for a in accounts} | ({cfg.file.display} if cfg.file else set())
    for index, acc, row, errs, proj_files in results:
        row = dict(row)
        row["_index"] = index
        row["_account_index"] = acc if acc is not None else len(accounts)
        row["account"] = entries[acc] if acc is not None else _NO_ACCOUNT
        rows.append(row)
        findings.extend(_unpack(t) for t in errs)
        files.update(proj_files)
    rows = sort_rows(rows, sort)
    # accounts in order of their first project in the sorted list; accounts without projects last
    groups: dict[int, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["_account_index"], []).append(row)
    # accounts without projects: those inside PATH (discovery also reads the other
    # account.yaml files of the workspace to attach projects; they are not listed)
    scope = [_folder(Path(p)) for p in paths] or [Path.cwd().resolve()]
    order = list(groups) + [i for i in range(len(accounts)) if i not in groups
                            and _within(accounts[i].file.path.parent.resolve(), scope)]
    out_accounts = []
    for i in order:
        entry = dict(entries[i]) if i < len(accounts) else dict(_NO_ACCOUNT)
        entry["projects"] = [_public(r) for r in groups.get(i, [])]
        out_accounts.append(entry)
    for row in rows:
        del row["_index"], row["_account_index"]
    seen = set()
    unique = []
    for f in sorted(findings, key=lambda f: (f.location.file, f.location.line, f.location.column, f.code,
                                               f.message)):
        key = (f.code, f.location, f.message)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    data = {"as_of": as_of.isoformat(), "accounts": out_accounts}
    return Portfolio(as_of, data, rows, unique, len(files))


def _folder(path: Path) -> Path:
    path = path.resolve()
    return path.parent if path.is_file() else path


def _within(folder: Path, scope: list[Path]) -> bool:
    return any(folder == s or s in folder.parents for s in scope)


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_") and k != "account"}


def summary(rows: list[dict]) -> dict:
    """Counts for headers: projects, accounts, by overall health and with errors."""
    counts = {"projects": len(rows), "red": 0, "amber": 0, "green": 0, "errors": 0}
    for r in rows:
        if r["health"] is None:
            counts["errors"] += 1
        else:
            counts[r["health"]["overall"]] += 1
    return counts
