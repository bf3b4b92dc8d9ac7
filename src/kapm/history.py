"""Older versions of a project, read from git and run through the same pipeline.

A version is loaded exactly like the working tree: bytes → :mod:`kapm.yamlload` →
:func:`kapm.workspace.merge` → :mod:`kapm.model` validation, by the very functions of
:mod:`kapm.analysis` (they take in-memory contents).  Only the way files are found
differs: ``git ls-tree`` at the commit instead of a directory walk, with the same rules
(``project.yaml`` first, then the other ``*.yaml``/``*.yml`` files of the folder by name;
the nearest ``kapm.yaml`` and the nearest ancestor ``account.yaml``).  Decision: the
account of an older version is the nearest ancestor ``account.yaml`` (``project.account``
naming an account elsewhere is not followed in history).

A version that does not validate is not fatal: :meth:`ProjectHistory.at` returns it with
its findings, and callers (trend) list it as skipped.

Cache: validated results are pickled under ``.kapm-cache/`` at the repository root,
keyed by the git blob ids of every file that went into them (working-tree files get the
blob id git would give their bytes, so an unmodified file shares the entry of HEAD) plus
the kapm version.  Writes are atomic (temporary file + ``os.replace``), so concurrent
runs at worst both write the same entry.  Every entry carries an HMAC made with a random
key kept inside the ``.git`` folder: a ``.kapm-cache`` folder smuggled into a commit or
a corrupt file is ignored (and rebuilt), never unpickled.  ``KAPM_NO_CACHE=1`` turns the
cache off.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import os
import pickle
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from kapm import __version__
from kapm.analysis import baseline_rev
from kapm.findings import ERROR, Finding
from kapm.gitlayer import Commit, GitError, Repo, blob_id

CACHE_DIR = ".kapm-cache"
CACHE_FORMAT = 1
_MAGIC = b"KAPMC1\n"
_CONFIG = "kapm.yaml"


# -- cache -------------------------------------------------------------------------------

class Cache:
    """Pickled values keyed by content; untrusted bytes are never unpickled."""

    def __init__(self, repo: Repo):
        self.dir = repo.root / CACHE_DIR / f"{__version__}-{CACHE_FORMAT}"
        self._key_file = repo.git_dir / "kapm-cache.key"
        self.enabled = os.environ.get("KAPM_NO_CACHE", "") not in ("1", "true", "yes")
        self._secret: bytes | None = None
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, key: str) -> Path:
        return self.dir / kind / key[:2] / f"{key}.pickle"

    def secret(self) -> bytes | None:
        if self._secret is None and self.enabled:
            self._secret = _read_or_make_key(self._key_file)
            if self._secret is None:
                self.enabled = False
        return self._secret

    def get(self, kind: str, key: str):
        if not self.enabled:
            return None
        path = self._path(kind, key)
        try:
            blob = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        secret = self.secret()
        head = len(_MAGIC)
        if secret is None or blob[:head] != _MAGIC or len(blob) < head + 32:
            self.misses += 1
            return None
        mac, payload = blob[head:head + 32], blob[head + 32:]
        if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()):
            self.misses += 1
            return None  # corrupt or not ours: rebuilt and overwritten by the caller
        gc_was = gc.isenabled()
        gc.disable()
        try:
            value = pickle.loads(payload)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            # signed by this clone but written by an incompatible build: treat as missing
            self.misses += 1
            return None
        finally:
            if gc_was:
                gc.enable()
        self.hits += 1
        return value

    def put(self, kind: str, key: str, value) -> None:
        if not self.enabled:
            return
        secret = self.secret()
        if secret is None:
            return
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        data = _MAGIC + hmac.new(secret, payload, hashlib.sha256).digest() + payload
        path = self._path(kind, key)
        try:
            if not path.parent.is_dir():
                path.parent.mkdir(parents=True, exist_ok=True)
                marker = self.dir.parent / ".gitignore"
                if not marker.exists():  # like .pytest_cache: never shows up in git status
                    marker.write_text("# created by kapm; the cache is local to this clone\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # a read-only checkout still works, just without a cache


def _read_or_make_key(path: Path) -> bytes | None:
    """The HMAC key of this clone, created once (atomically: write a temp file, link it).

    A key file of the wrong length (truncated, edited) is replaced by a new key: entries
    signed with the old one no longer verify and are simply computed again."""
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
        damaged = True
    except FileNotFoundError:
        damaged = False
    except OSError:
        return None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".kapm-key-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
        try:
            if damaged:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # two first runs at once: the first link wins
        except FileExistsError:
            pass
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        key = path.read_bytes()
        return key if len(key) == 32 else None
    except OSError:
        return None


# -- versions ----------------------------------------------------------------------------

@dataclass
class Version:
    """One version of a project: at a commit, or the working tree (``commit`` None)."""

    label: str  # the revision as the user wrote it, or "working tree"
    commit: Commit | None
    result: object | None  # analysis.ProjectResult; None when the project does not exist there
    key: str = ""  # cache key of its contents

    @property
    def day(self) -> date | None:
        """The status date this version speaks for: its commit date (None: working tree)."""
        return self.commit.day if self.commit is not None else None

    @property
    def problems(self) -> list[Finding]:
        """Error findings that make this version unusable (empty when it validated)."""
        if self.result is None:
            return []
        res = self.result
        out = [f for f in res.findings if f.severity == ERROR]
        if res.account is not None:
            out += [f for f in res.account.findings if f.severity == ERROR]
        if res.config is not None:
            out += [f for f in res.config.findings if f.severity == ERROR]
        if res.model is None and not out:
            out.append(Finding("S002", ERROR, "project did not validate", res.source.locate(())))
        return out

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.problems

    def reason(self) -> str:
        """Why the version is unusable, one line."""
        if self.result is None:
            return "project does not exist in this version"
        probs = self.problems
        if not probs:
            return ""
        f = probs[0]
        more = f" (and {len(probs) - 1} more)" if len(probs) > 1 else ""
        return f"{f.location.file}:{f.location.line}: {f.code} {f.message}{more}"


@dataclass(frozen=True)
class _Files:
    """Which files make a version: (role, path relative to the repo root, blob id)."""

    rel_dir: str
    project: tuple  # ((rel, blob), ...) in load order
    config: tuple | None  # (rel, blob)
    account: tuple | None

    def key(self, root: Path) -> str:
        h = hashlib.sha256(f"kapm {__version__} {CACHE_FORMAT}\0{root}\0{self.rel_dir}\0".encode())
        for role, entries in (("p", self.project), ("c", (self.config,) if self.config else ()),
                              ("a", (self.account,) if self.account else ())):
            for rel, blob in entries:
                h.update(f"{role}\0{rel}\0{blob}\0".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def blobs(self) -> list[str]:
        out = [b for _, b in self.project]
        out += [self.config[1]] if self.config else []
        out += [self.account[1]] if self.account else []
        return out


class ProjectHistory:
    """Versions of one project folder of a repository."""

    def __init__(self, repo: Repo, project_dir: Path, *, cache: Cache | None = None):
        self.repo = repo
        self.dir = Path(project_dir).resolve()
        self.rel_dir = repo.rel(self.dir)
        self.cache = cache if cache is not None else Cache(repo)
        self._shared: dict[tuple, object] = {}  # loaded kapm.yaml / account.yaml by blob id
        parts = self.rel_dir.split("/") if self.rel_dir else []
        ancestors = ["/".join(parts[:i]) for i in range(len(parts), -1, -1)]  # nearest first
        self._config_candidates = [_join(a, _CONFIG) for a in ancestors]
        self._account_candidates = [_join(a, "account.yaml") for a in ancestors]

    # listing ---------------------------------------------------------------------------
    def commits(self, *, head: str = "HEAD", since: str | None = None) -> list[Commit]:
        """Commits that touched the project folder, oldest first (``since``: a verified
        commit id; history from that commit on, inclusive)."""
        head_id = self.repo.verify(head)
        return list(reversed(self.repo.log([self.rel_dir], head=head_id, exclude=since)))

    # loading ---------------------------------------------------------------------------
    def files_at(self, commit_id: str) -> tuple[_Files | None, str]:
        """Which files make the project at a verified commit, and their cache key
        ('' when the project does not exist there)."""
        return self.files_at_many([commit_id])[0]

    def files_at_many(self, commit_ids: list[str]) -> list[tuple[_Files | None, str]]:
        """:meth:`files_at` of many verified commits: the trees of the folder and of its
        ancestors are read through the one ``cat-file --batch`` process (a tree shared by
        several commits is read once), which lists the same files ``git ls-tree`` would
        (tested against it)."""
        if not commit_ids:
            return []
        parts = [c.encode("utf-8", "surrogateescape") for c in self.rel_dir.split("/")] if self.rel_dir else []
        trees: dict[str, dict] = {}  # tree id -> entries
        roots = self.repo.read_trees([f"{c}^{{tree}}" for c in commit_ids])
        levels: list[list[str | None]] = []  # per commit: tree ids of "", parts[0], ... (None: absent)
        current: list[str | None] = []
        for c in commit_ids:
            got = roots.get(f"{c}^{{tree}}")
            if got is not None:
                trees[got[0]] = got[1]
            current.append(got[0] if got is not None else None)
        levels.append(current)
        for name in parts:
            current = []
            for tid in levels[-1]:
                entry = trees[tid].get(name) if tid is not None else None
                current.append(entry[1] if entry is not None and not entry[0] else None)
            missing = [t for t in dict.fromkeys(current) if t is not None and t not in trees]
            for tid, got in self.repo.read_trees(missing).items():
                trees[tid] = got[1] if got is not None else {}
            levels.append(current)
        folders = ["/".join(p.decode("utf-8", "surrogateescape") for p in parts[:i]) for i in range(len(parts) + 1)]
        wanted = {_CONFIG.encode(), b"account.yaml"}
        out: list[tuple[_Files | None, str]] = []
        memo: dict[tuple, tuple[_Files | None, str]] = {}
        for k in range(len(commit_ids)):
            ids = tuple(level[k] for level in levels)
            if ids in memo:  # same folder and ancestors as another commit: same files
                out.append(memo[ids])
                continue
            by_path: dict[str, str] = {}
            for depth, tid in enumerate(ids):
                if tid is None:
                    continue
                last = depth == len(parts)
                for name, (is_blob, oid) in trees[tid].items():
                    if is_blob and (last or name in wanted):
                        by_path[_join(folders[depth], name.decode("utf-8", "surrogateescape"))] = oid
            files = self._select(by_path)
            memo[ids] = (files, files.key(self.repo.root) if files is not None else "")
            out.append(memo[ids])
        return out

    def at(self, commit: Commit | str, label: str | None = None, *, files=None, store: bool = True) -> Version:
        """The project at a commit (a :class:`Commit` or a verified commit id);
        ``files``: the answer of :meth:`files_at` when the caller has it."""
        if isinstance(commit, str):
            commit = self.repo.commit_info(commit)
        files, key = files if files is not None else self.files_at(commit.id)
        if files is None:
            return Version(label or commit.short, commit, None)
        result = self._cached(key)
        if result is None:
            contents = self.repo.read_blobs(files.blobs())
            result = self._build(files, lambda blob: contents[blob], key, store=store)
        return Version(label or commit.short, commit, result, key)

    def worktree(self) -> Version:
        """The project as it is on disk (same loader; cached by content)."""
        by_path: dict[str, str] = {}
        raw: dict[str, bytes] = {}
        names = []
        if self.dir.is_dir():
            names = [_join(self.rel_dir, p.name) for p in self.dir.iterdir()
                     if p.suffix in (".yaml", ".yml") and p.is_file()]
        for rel in [*names, *self._config_candidates, *self._account_candidates]:
            p = self.repo.root / rel
            if rel in raw or not p.is_file():
                continue
            try:
                data = p.read_bytes()
            except OSError:
                continue  # the loader reports unreadable project files itself
            raw[rel] = data
            by_path[rel] = blob_id(data)
        files = self._select(by_path)
        if files is None:
            return Version("working tree", None, None)
        key = files.key(self.repo.root)
        result = self._cached(key)
        if result is None:
            by_blob = {by_path[rel]: data for rel, data in raw.items()}
            result = self._build(files, lambda blob: by_blob[blob], key)
        return Version("working tree", None, result, key)

    def _select(self, by_path: dict[str, str]) -> _Files | None:
        prefix = self.rel_dir + "/" if self.rel_dir else ""
        from kapm.workspace import project_file_order

        order = project_file_order(rel[len(prefix):] for rel in by_path
                                   if rel.startswith(prefix) and "/" not in rel[len(prefix):])
        if not order or order[0] not in ("project.yaml", "project.yml"):
            return None
        project = tuple((_join(self.rel_dir, n), by_path[_join(self.rel_dir, n)]) for n in order)
        config = next(((c, by_path[c]) for c in self._config_candidates if c in by_path), None)
        account = next(((a, by_path[a]) for a in self._account_candidates if a in by_path), None)
        return _Files(self.rel_dir, project, config, account)

    def _cached(self, key: str):
        result = self.cache.get("project", key)
        if result is not None:
            _redisplay(result)
        return result

    def _build(self, files: _Files, read, key: str, *, store: bool = True):
        from kapm.analysis import _load_account, load_config, load_project

        root = self.repo.root
        gc_was = gc.isenabled()
        gc.disable()
        try:
            # kapm.yaml and account.yaml rarely change between the versions one command
            # loads (trend: every commit of the folder): loaded once per blob id
            shared = self._shared
            if len(shared) > 16:
                shared.clear()
            ckey = ("config", files.config)
            cfg = shared.get(ckey)
            if cfg is None:
                cfg = (load_config(root / files.config[0], read(files.config[1])) if files.config
                       else load_config(None))
                shared[ckey] = cfg
            paths = [root / rel for rel, _ in files.project]
            contents = {root / rel: read(blob) for rel, blob in files.project}
            result = load_project(self.dir, paths, cfg, contents)
            if files.account:
                akey = ("account", files.config, files.account)
                account = shared.get(akey)
                if account is None:
                    account = shared[akey] = _load_account(root / files.account[0], cfg, read(files.account[1]))
                result.account = account
            if store:
                self.cache.put("project", key, _picklable(result))
        finally:
            if gc_was:
                gc.enable()
        return result


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _picklable(result):
    """The result without derived caches (schedules are cheap to recompute, and depend
    on the status date)."""
    keep = {k: v for k, v in result.__dict__.items() if not k.startswith("_")}
    clone = object.__new__(type(result))
    clone.__dict__.update(keep)
    return clone


def _redisplay(result) -> None:
    """File names as seen from the current directory (a cache entry may come from a run
    started elsewhere)."""
    from kapm.workspace import display_path

    files = list(result.files)
    if result.account is not None:
        files.append(result.account.file)
    if result.config is not None and result.config.file is not None:
        files.append(result.config.file)
    moved = {}
    for sf in files:
        new = display_path(sf.path)
        if new != sf.display:
            moved[sf.display] = new
            sf.display = new
    if not moved:
        return

    def fix(findings):
        return [replace(f, location=replace(f.location, file=moved.get(f.location.file, f.location.file)))
                for f in findings]

    result.findings = fix(result.findings)
    if result.account is not None:
        result.account.findings = fix(result.account.findings)
    if result.config is not None:
        result.config.findings = fix(result.config.findings)


# -- opening -----------------------------------------------------------------------------

def open_history(project_dir: Path, *, purpose: str = "read history") -> ProjectHistory:
    """The history of the project in ``project_dir`` (GitError when not in a repository)."""
    repo = Repo.open(project_dir, purpose=purpose)
    return ProjectHistory(repo, project_dir)


def load_revision(history: ProjectHistory, rev: str, *, what: str = "revision") -> Version:
    """Verify ``rev`` and load the project there."""
    commit = history.repo.verify(rev, what=what)
    return history.at(commit, label=rev)


# -- baselines ---------------------------------------------------------------------------

@dataclass
class Baseline:
    """The project at a baseline revision; :meth:`plan` is its plan schedule."""

    rev: str
    version: Version

    def plan(self):
        """The plan schedule (no status, SPEC §6) at the baseline (computed once)."""
        memo = self.__dict__.get("_plan")
        if memo is None:
            res = self.version.result
            res.as_of = self.version.day
            memo = res.schedule(status=False, as_of=self.version.day)
            if memo is None:
                from kapm.schedule import unschedulable_reason

                raise GitError(f"the plan at baseline {self.rev!r} cannot be scheduled: "
                               f"{unschedulable_reason(res)}")
            self.__dict__["_plan"] = memo
        return memo


def load_baseline(result, rev: str | None = None) -> Baseline | None:
    """The baseline of a working-tree project (None when no baseline is set).

    Raises GitError (exit 2) when the revision is unknown, the folder is not in a
    repository, the project does not exist at the revision or does not validate there.
    Computed once per result and revision."""
    rev = baseline_rev(result, rev)
    if not rev:
        return None
    memo = result.__dict__.setdefault("_baselines", {})
    if rev in memo:
        return memo[rev]
    history = open_history(result.dir, purpose=f"read the baseline {rev!r}")
    try:
        version = load_revision(history, rev, what="baseline revision")
    finally:
        history.repo.close()
    if version.result is None:
        raise GitError(f"the project {result.id} does not exist at baseline {rev!r} "
                       f"({version.commit.short}); choose a later revision")
    if not version.ok:
        raise GitError(f"the project at baseline {rev!r} ({version.commit.short}) does not validate: "
                       f"{version.reason()}")
    memo[rev] = Baseline(rev, version)
    return memo[rev]


def workday_delta(calendar, later: date, earlier: date) -> int | None:
    """``later - earlier`` in working days (positive = ``later`` is later); None when the
    calendar cannot place a date (centuries away from the project)."""
    try:
        return _last(calendar, later) - _last(calendar, earlier)
    except ValueError:
        return None


def _last(calendar, day: date) -> int:
    """Index of the last working day on or before ``day``; before the first working day of
    a calendar with a finite list of workdays, the position just before it."""
    try:
        return calendar.last_index(day)
    except ValueError:
        return calendar.index(day) - 1


def apply_baseline(schedule, baseline_schedule) -> None:
    """Fill ``baseline_start``, ``baseline_finish`` and ``finish_variance`` (working days,
    positive = late) of every task of ``schedule`` that exists in ``baseline_schedule``.

    Tasks added since the baseline keep ``None``; variances count working days of the
    schedule's own calendar."""
    cal = schedule.calendar
    base = {t.id: t for t in baseline_schedule.tasks}
    for task in schedule.tasks:
        b = base.get(task.id)
        if b is None:
            continue
        task.baseline_start = b.start
        task.baseline_finish = b.finish
        task.finish_variance = workday_delta(cal, task.finish, b.finish)
