"""Workspace discovery (SPEC §1): find kapm.yaml, accounts and projects, read their
files, and merge a project's files into one document with a map back to the sources.

Nothing here knows the model: it produces plain data plus :class:`Source` objects that
turn a path inside that data (``('tasks', 12, 'depends', 0)``) into file:line:column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kapm.findings import ERROR, Finding, Location
from kapm import yamlload

SUPPORTED_VERSIONS = (1,)
LIST_SECTIONS = frozenset({
    "objectives", "deliverables", "team", "contacts", "tasks", "risks", "comms", "log",
    "requests", "changes", "issues", "costs", "feedback",
})
MAP_SECTIONS = frozenset({"project", "calendar", "scope", "quality", "contract", "closure"})
SKIP_DIRS = frozenset({"node_modules", ".venv", "venv", "__pycache__"})
CONFIG_NAME = "kapm.yaml"


class UsageError(Exception):
    """A mistake in how kapm was called (exit 2), not in the files."""


def display_path(path: Path) -> str:
    """Path as shown to users: relative to the current directory when below it, '/' separators."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # other drive on Windows
        rel = str(path)
    if rel.startswith(".." + os.sep + ".." + os.sep + ".."):
        rel = str(path)
    return rel.replace(os.sep, "/")


@dataclass
class SourceFile:
    """One YAML file as read: its text is kept so positions can be computed lazily."""

    path: Path
    display: str
    data: object = None
    text: str | None = None
    findings: list[Finding] = field(default_factory=list)
    _positions: dict | None = None

    def positions(self) -> dict:
        if self._positions is None:
            if self.text is None:
                self._positions = {}
            else:
                self._positions = yamlload.load_text(self.text, self.display, positions=True).positions or {}
        return self._positions

    def locate(self, path: tuple, key: bool = False) -> Location:
        """Position of the node at ``path`` (its key when ``key``), or of its nearest ancestor."""
        pos = self.positions()
        p = tuple(path)
        while p:
            hit = pos.get(p)
            if hit is not None:
                return Location(self.display, hit[0], hit[1]) if key else Location(self.display, hit[2], hit[3])
            p = p[:-1]
        hit = pos.get(())
        return Location(self.display, hit[2], hit[3]) if hit else Location(self.display, 1, 1)

    def ignore_comments(self) -> dict[int, frozenset[str] | None]:
        """Line -> codes named by a trailing ``# kapm: ignore[CODE,...]`` (None = bare ignore)."""
        from kapm.suppress import scan_ignores

        return scan_ignores(self.text or "")


def read_source(path: Path, max_bytes: int, raw: bytes | None = None) -> SourceFile:
    """Read and parse one file; ``raw`` gives its bytes instead (an older version from git)."""
    display = display_path(path)
    sf = SourceFile(path=path, display=display)
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            sf.findings.append(Finding("Y001", ERROR, f"cannot read file: {exc.strerror or exc}", Location(display)))
            return sf
    text, findings = yamlload.decode(raw, display, max_bytes)
    if text is None:
        sf.findings.extend(findings)
        return sf
    loaded = yamlload.load_text(text, display)
    sf.text = text
    sf.data = loaded.data
    sf.findings.extend(loaded.findings)
    if not loaded.findings:
        _check_top(sf)
    return sf


PARALLEL_MIN_BYTES = 2 * 1024 * 1024  # below this, a worker process costs more than it saves


def _parse_in_worker(path: Path, max_bytes: int) -> tuple:
    sf = read_source(path, max_bytes)
    return sf.data, sf.text, sf.findings


def read_sources(paths: list[Path], max_bytes: int) -> list[SourceFile]:
    """Read and parse files, using a second core for large projects.

    The files are split by size between this process and one forked worker; parsing
    dominates and the parsed data pickles back at a sixth of its parse cost.  Results are
    identical to reading the files one by one (a test compares them).
    """
    import os

    sizes = []
    for p in paths:
        try:
            sizes.append(p.stat().st_size)
        except OSError:
            sizes.append(0)
    if (len(paths) < 2 or sum(sizes) < PARALLEL_MIN_BYTES or (os.cpu_count() or 1) < 2
            or os.environ.get("KAPM_JOBS") == "1"):
        return [read_source(p, max_bytes) for p in paths]
    import multiprocessing

    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform
        return [read_source(p, max_bytes) for p in paths]
    from concurrent.futures import ProcessPoolExecutor

    # greedy split by size: the worker takes every file that keeps it under half the bytes
    half = sum(sizes) / 2
    remote: set[int] = set()
    load = 0
    for i in sorted(range(len(paths)), key=lambda i: -sizes[i]):
        if load + sizes[i] <= half:
            remote.add(i)
            load += sizes[i]
    out: list[SourceFile | None] = [None] * len(paths)
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        futures = {i: pool.submit(_parse_in_worker, paths[i], max_bytes) for i in sorted(remote)}
        for i, p in enumerate(paths):
            if i not in remote:
                out[i] = read_source(p, max_bytes)
        for i, fut in futures.items():
            data, text, findings = fut.result()
            out[i] = SourceFile(path=paths[i], display=display_path(paths[i]), data=data, text=text,
                                findings=findings)
    return out  # type: ignore[return-value]


def _check_top(sf: SourceFile) -> None:
    """Every file is a mapping starting with ``kapm: 1`` (S004)."""
    data = sf.data
    if data is None:
        data = sf.data = {}
    if not isinstance(data, dict):
        sf.findings.append(Finding("S002", ERROR, "a kapm file must be a mapping of sections",
                                   sf.locate(()), "start the file with 'kapm: 1' and section keys"))
        sf.data = None
        return
    supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
    if "kapm" not in data:
        sf.findings.append(Finding("S004", ERROR, "missing format version 'kapm:'", Location(sf.display, 1, 1),
                                   f"add 'kapm: 1' as the first line; this kapm reads format version {supported}"))
    elif data["kapm"] not in SUPPORTED_VERSIONS or isinstance(data["kapm"], bool):
        sf.findings.append(Finding("S004", ERROR, f"unsupported format version kapm: {data['kapm']!r}",
                                   sf.locate(("kapm",)),
                                   f"this kapm reads format version {supported}"))


@dataclass
class Source:
    """Where each part of a merged document came from."""

    files: list[SourceFile]
    # section -> SourceFile (map sections and scalars) or list of (start, count, SourceFile)
    origin: dict = field(default_factory=dict)

    def file_of(self, path: tuple) -> tuple[SourceFile, tuple]:
        if not path:
            return self.files[0], ()
        where = self.origin.get(path[0])
        if where is None:
            return self.files[0], path
        if isinstance(where, SourceFile):
            return where, path
        if len(path) >= 2 and isinstance(path[1], int):
            for start, count, sf in where:
                if start <= path[1] < start + count:
                    return sf, (path[0], path[1] - start) + tuple(path[2:])
        return where[0][2], (path[0],)

    def locate(self, path: tuple, key: bool = False) -> Location:
        sf, local = self.file_of(tuple(path))
        return sf.locate(local, key)



def merge(files: list[SourceFile]) -> tuple[dict, Source, list[Finding]]:
    """Concatenate list sections, refuse mapping sections defined twice (S005)."""
    doc: dict = {}
    source = Source(files=files)
    findings: list[Finding] = []
    for sf in files:
        if not isinstance(sf.data, dict):
            continue
        for key, value in sf.data.items():
            if key == "kapm":
                doc.setdefault("kapm", value)
                source.origin.setdefault("kapm", sf)
                continue
            if key in LIST_SECTIONS and isinstance(value, list):
                if key in doc and not isinstance(doc[key], list):
                    findings.append(_s005(key, sf, source.origin[key]))
                    continue
                ranges = source.origin.setdefault(key, [])
                if not isinstance(ranges, list):
                    findings.append(_s005(key, sf, ranges))
                    continue
                current = doc.setdefault(key, [])
                ranges.append((len(current), len(value), sf))
                current.extend(value)
                continue
            if key in doc:
                first = source.origin[key]
                findings.append(_s005(key, sf, first if isinstance(first, SourceFile) else first[0][2]))
                continue
            doc[key] = value
            source.origin[key] = sf
    return doc, source, findings


def _s005(key: str, sf: SourceFile, first: SourceFile) -> Finding:
    kind = "mapping" if key in MAP_SECTIONS else "section"
    return Finding("S005", ERROR, f"{kind} section '{key}' is defined in {first.display} and again here",
                   sf.locate((key,), key=True),
                   "keep one definition; only list sections (tasks, risks, log, ...) may be split over files")


# -- discovery ---------------------------------------------------------------------------

@dataclass
class ProjectFiles:
    """A project folder and its YAML files, in reading order."""

    dir: Path
    files: list[Path]


@dataclass
class Layout:
    """The workspace found from the PATH arguments (SPEC §1)."""

    root: Path  # workspace root: folder of kapm.yaml, else the folder given
    config: Path | None
    projects: list[ProjectFiles]
    accounts: list[Path]  # account.yaml files


def find_config(start: Path) -> Path | None:
    """kapm.yaml in ``start`` or the nearest ancestor (like ruff finds its config)."""
    d = start if start.is_dir() else start.parent
    d = d.resolve()
    for folder in (d, *d.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def project_file_order(names) -> list[str]:
    """The file names of a project folder that make the project, in merge order:
    project.yaml first, then the other ``*.yaml``/``*.yml`` by name.  Hidden files are
    skipped; kapm.yaml and account.yaml are read on their own even when they sit here.
    Shared by the working tree and the git history."""
    names = sorted(n for n in names if n.endswith((".yaml", ".yml")) and not n.startswith("."))
    first = [n for n in names if n in ("project.yaml", "project.yml")]
    return first + [n for n in names if n not in first and n not in (CONFIG_NAME, "account.yaml")]


def _yaml_files(folder: Path) -> list[Path]:
    return [folder / n for n in project_file_order(p.name for p in folder.iterdir() if p.is_file())]


def _walk(top: Path, ignored) -> tuple[list[Path], list[Path]]:
    projects, accounts = [], []
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and d not in SKIP_DIRS and not ignored(here / d))
        if "account.yaml" in filenames:
            accounts.append(here / "account.yaml")
        if "project.yaml" in filenames or "project.yml" in filenames:
            projects.append(here)
    return projects, accounts


def discover(paths: list[Path]) -> Layout:
    """Resolve PATH arguments into projects and accounts (raises UsageError)."""
    if not paths:
        paths = [Path(".")]
    for p in paths:
        if not p.exists():
            raise UsageError(f"path not found: {p}")
    config = find_config(paths[0])
    root = config.parent if config else (paths[0] if paths[0].is_dir() else paths[0].parent).resolve()
    git_filter = []

    def ignored(path: Path) -> bool:  # the git layer is loaded only when a subfolder is met
        if not git_filter:
            from kapm.gitlayer import ignored_filter

            git_filter.append(ignored_filter(root))
        return git_filter[0](path)

    projects: list[Path] = []
    accounts: list[Path] = []
    for p in paths:
        p = p.resolve()
        if p.is_file():
            if p.name in ("project.yaml", "project.yml"):
                projects.append(p.parent)
            elif p.name in ("account.yaml", CONFIG_NAME):
                ps, acs = _walk(p.parent, ignored)
                projects += ps
                accounts += acs
            else:
                raise UsageError(f"{p.name} is not a project.yaml, account.yaml or kapm.yaml; "
                                 "pass a project, account or workspace folder")
        else:
            ps, acs = _walk(p, ignored)
            projects += ps
            accounts += acs
    # accounts above the given paths (a project inside an account folder) and, for
    # project.account references, every account of the workspace
    _, all_accounts = _walk(root, ignored) if root.is_dir() else ([], [])
    for proj in projects:
        for folder in (proj, *proj.parents):  # the nearest account folder, up to the repository top
            if (folder / "account.yaml").is_file():
                accounts.append(folder / "account.yaml")
                break
            if (folder / ".git").exists():
                break
    accounts += all_accounts
    seen_p, seen_a = [], []
    for p in projects:
        if p not in seen_p:
            seen_p.append(p)
    for a in accounts:
        a = a.resolve()
        if a not in seen_a:
            seen_a.append(a)
    if not seen_p and not seen_a and config is None:
        raise UsageError(f"no kapm project found in {', '.join(str(p) for p in paths)} "
                         "(a project is a folder with project.yaml; run 'kapm init' to create one)")
    return Layout(root=root, config=config,
                  projects=[ProjectFiles(d, _yaml_files(d)) for d in seen_p],
                  accounts=seen_a)
