"""The only module that runs git.

Rules kept here (SPEC §6, §9):

* arguments are always passed as a list (no shell), pathspecs are literal
  (``--literal-pathspecs``), so a folder named ``:(glob)*`` is just a folder;
* a revision given by a user is verified with
  ``git rev-parse --verify --quiet --end-of-options REV^{commit}`` before any other use,
  and only the full commit id it resolves to is passed on; a "revision" such as
  ``--output=x`` or ``-h`` is refused with a :class:`GitError` (exit 2);
* "not a git repository" and shallow clones are :class:`GitError` with a hint saying
  how to get the history (CI: ``actions/checkout`` with ``fetch-depth: 0``, or
  ``git fetch --unshallow``);
* file contents at a revision are read through *one* long-lived
  ``git cat-file --batch`` process per :class:`Repo` (one per command, and one per
  forked worker: :meth:`Repo.detach`), fed with blob ids listed by ``git ls-tree -r -z``
  or by tree objects read through the same process (:meth:`Repo.read_trees`).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kapm.workspace import UsageError

SHALLOW_HINT = ("this is a shallow clone, so older commits are missing. Fetch the full history: "
                "'git fetch --unshallow' locally, or in GitHub Actions use actions/checkout with "
                "'fetch-depth: 0'")
_ENV = {"GIT_LITERAL_PATHSPECS": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


class GitError(UsageError):
    """A git problem caused by how kapm was called or where (exit 2): unknown revision,
    not a repository, shallow clone, git missing."""


def _env() -> dict:
    env = dict(os.environ)
    env.update(_ENV)
    # a caller's GIT_DIR / GIT_WORK_TREE would silently point us at another repository
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        env.pop(name, None)
    return env


def _git(args: list[str], cwd: Path, *, input: bytes | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "--literal-pathspecs", *args], cwd=cwd, input=input,
                              capture_output=True, check=False, env=_env())
    except FileNotFoundError:
        if not Path(cwd).is_dir():
            raise GitError(f"folder not found: {cwd}") from None
        raise GitError("git is not installed (or not on PATH); kapm needs it to read history") from None


def repo_root(path: Path) -> Path | None:
    """Top of the git work tree containing ``path`` (None outside a repository)."""
    d = path if path.is_dir() else path.parent
    for folder in (d.resolve(), *d.resolve().parents):
        if (folder / ".git").exists():
            return folder
    return None


def ignored_filter(root: Path):
    """A predicate telling whether a folder below ``root`` is ignored by git.

    One ``git ls-files`` call lists the ignored untracked folders, made on the first
    question only: checking a project folder without subfolders runs no git at all.
    Outside a repository (or without git) nothing is ignored."""
    ignored: set[Path] | None = None

    def is_ignored(path: Path) -> bool:
        nonlocal ignored
        if ignored is None:
            ignored = _ignored_folders(root)
        return bool(ignored) and path.resolve() in ignored

    return is_ignored


def _ignored_folders(root: Path) -> set[Path]:
    top = repo_root(root)
    if top is None:
        return set()
    try:
        proc = _git(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], top)
    except (OSError, GitError):
        return set()
    if proc.returncode != 0:
        return set()
    return {(top / p.rstrip("/")).resolve() for p in proc.stdout.decode("utf-8", "replace").split("\0") if p}


# -- repositories ------------------------------------------------------------------------

@dataclass(frozen=True)
class Commit:
    """A commit as kapm reports it."""

    id: str  # full object id
    date: str  # committer date, ISO 8601 with the committer's offset
    subject: str

    @property
    def day(self):
        """The commit date as a ``date`` in the committer's own time zone."""
        from datetime import date

        return date.fromisoformat(self.date[:10])

    @property
    def short(self) -> str:
        return self.id[:10]


@dataclass(frozen=True)
class TreeEntry:
    """A file in a commit's tree."""

    path: str  # relative to the repository root, '/' separators
    blob: str  # object id


class Repo:
    """A git work tree; use as a context manager so the cat-file process is closed."""

    def __init__(self, root: Path, git_dir: Path, shallow: bool):
        self.root = root
        self.git_dir = git_dir
        self.shallow = shallow
        self._batch: subprocess.Popen | None = None
        self._verified: dict[str, str] = {}

    # construction ----------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, purpose: str = "read history") -> "Repo":
        """The repository holding ``path``; GitError when there is none."""
        path = Path(path)
        cwd = path if path.is_dir() else path.parent
        proc = _git(["rev-parse", "--show-toplevel", "--absolute-git-dir", "--is-shallow-repository"], cwd)
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()
            if "not a git repository" in err or proc.returncode == 128:
                raise GitError(f"{path} is not inside a git repository, so kapm cannot {purpose}; "
                               "run it in a clone of the repository (git init / git clone)")
            raise GitError(f"git failed: {err.splitlines()[-1] if err else 'unknown error'}")
        lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
        if len(lines) < 3 or not lines[0]:
            raise GitError(f"{path} is not inside a git work tree (a bare repository?); kapm cannot {purpose}")
        return cls(Path(lines[0]).resolve(), Path(lines[1]), lines[2].strip() == "true")

    def __enter__(self) -> "Repo":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        proc, self._batch = self._batch, None
        if proc is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - git hung
                proc.kill()
                proc.wait()
            proc.stdout.close()

    def require_history(self, what: str = "this command") -> None:
        """Refuse to replay history in a shallow clone (results would silently be partial)."""
        if self.shallow:
            raise GitError(f"{what} needs the git history, but {SHALLOW_HINT}")

    def rel(self, path: Path) -> str:
        """``path`` relative to the repository root with '/' separators ('' for the root)."""
        rel = os.path.relpath(Path(path).resolve(), self.root)
        if rel == ".":
            return ""
        if rel.startswith(".."):
            raise GitError(f"{path} is outside the git repository at {self.root}")
        return rel.replace(os.sep, "/")

    # revisions ---------------------------------------------------------------------------
    def verify(self, rev: str, *, what: str = "revision") -> str:
        """The full commit id that ``rev`` names (GitError, exit 2, when it names none)."""
        if rev in self._verified:
            return self._verified[rev]
        if not isinstance(rev, str) or not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
            raise GitError(f"{rev!r} is not a valid git {what}" + (
                " (it looks like an option; revisions never start with '-')" if str(rev).startswith("-") else ""))
        proc = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], self.root)
        commit = proc.stdout.decode("ascii", "replace").strip()
        if proc.returncode != 0 or not _is_oid(commit):
            if self.head() is None:
                raise GitError(f"the repository at {self.root} has no commits yet, so {what} {rev!r} names "
                               "nothing; commit the project first")
            hint = f"; {SHALLOW_HINT}" if self.shallow else " (try 'git log --oneline' or 'git tag' to list revisions)"
            raise GitError(f"unknown git {what} {rev!r}{hint}")
        self._verified[rev] = commit
        return commit

    def head(self) -> str | None:
        """The commit of HEAD, None in a repository without commits."""
        proc = _git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], self.root)
        out = proc.stdout.decode("ascii", "replace").strip()
        return out if proc.returncode == 0 and _is_oid(out) else None

    def commit_info(self, commit: str) -> Commit:
        """Date and subject of a verified commit id."""
        _require_oid(commit)
        proc = _git(["show", "-s", "--no-show-signature", "--format=%H%x1f%cI%x1f%s", commit, "--"], self.root)
        if proc.returncode != 0:
            raise GitError(f"cannot read commit {commit[:10]}: {_first_line(proc.stderr)}")
        return _parse_commit(proc.stdout.decode("utf-8", "replace").rstrip("\n"))

    def log(self, paths: list[str], *, head: str, exclude: str | None = None) -> list[Commit]:
        """Commits reachable from ``head`` that touched ``paths``, newest first.

        ``exclude``: a commit id whose *parents* are excluded, i.e. history since that
        commit (inclusive). Both ids must be verified."""
        _require_oid(head)
        args = ["log", "--no-show-signature", "--topo-order", "-z", "--format=%H%x1f%cI%x1f%s", head]
        if exclude is not None:
            _require_oid(exclude)
            args += ["--not", f"{exclude}^@"]
        proc = _git([*args, "--", *(p or "." for p in paths)], self.root)
        if proc.returncode != 0:
            raise GitError(f"git log failed: {_first_line(proc.stderr)}")
        out = proc.stdout.decode("utf-8", "replace")
        return [_parse_commit(rec.strip("\n")) for rec in out.split("\0") if rec.strip("\n")]

    # trees and blobs ---------------------------------------------------------------------
    def ls_tree(self, commit: str, paths: list[str]) -> list[TreeEntry]:
        """Blobs under ``paths`` (folders recurse) at a verified commit."""
        _require_oid(commit)
        proc = _git(["ls-tree", "-r", "-z", "--full-tree", commit, "--", *(p or "." for p in paths)], self.root)
        if proc.returncode != 0:
            raise GitError(f"git ls-tree failed: {_first_line(proc.stderr)}")
        entries = []
        for rec in proc.stdout.split(b"\0"):
            if not rec:
                continue
            meta, _, name = rec.partition(b"\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != b"blob":
                continue  # submodules (commit) are not ours to read
            entries.append(TreeEntry(name.decode("utf-8", "surrogateescape"), parts[2].decode("ascii")))
        return entries

    def read_blobs(self, blobs: list[str]) -> dict[str, bytes]:
        """Contents of blobs, through the one ``git cat-file --batch`` process."""
        proc = self._cat_file()
        out: dict[str, bytes] = {}
        todo = [b for b in dict.fromkeys(blobs)]
        for b in todo:
            _require_oid(b)
        try:
            for b in todo:
                # one request, then its answer: with every request written first, more
                # than a pipe's worth (~1,600 ids) would block both processes
                proc.stdin.write(b.encode("ascii") + b"\n")
                proc.stdin.flush()
                header = proc.stdout.readline()
                parts = header.split()
                if len(parts) != 3:
                    raise GitError(f"git cat-file: object {b[:10]} is missing ({header.decode('ascii', 'replace').strip()})")
                size = int(parts[2])
                data = proc.stdout.read(size)
                proc.stdout.read(1)  # the LF after the contents
                if len(data) != size:
                    raise GitError("git cat-file ended early")
                out[b] = data
        except (BrokenPipeError, OSError) as exc:
            self.close()
            raise GitError(f"git cat-file failed: {exc}") from None
        return out

    def read_trees(self, names: list[str]) -> dict[str, tuple[str, dict[bytes, tuple[bool, str]]] | None]:
        """Tree objects through the same ``cat-file --batch`` process: ``name`` (a tree id,
        or ``<verified commit id>^{tree}``) → (tree id, {entry name: (is_blob, object
        id)}); None when there is no such tree.  Submodules are left out, folders have
        ``is_blob`` False; symlinks and executables are blobs (as ``git ls-tree`` says).
        Requests go in chunks, so neither pipe ever fills while the other waits."""
        out: dict[str, tuple[str, dict] | None] = {}
        todo = list(dict.fromkeys(names))
        for n in todo:
            base = n[:-len("^{tree}")] if n.endswith("^{tree}") else n
            _require_oid(base)
        proc = self._cat_file()
        try:
            for lo in range(0, len(todo), 256):
                chunk = todo[lo:lo + 256]
                proc.stdin.write("".join(n + "\n" for n in chunk).encode("ascii"))
                proc.stdin.flush()
                for n in chunk:
                    parts = proc.stdout.readline().split()
                    if len(parts) != 3:
                        out[n] = None  # "<name> missing"
                        continue
                    size = int(parts[2])
                    data = proc.stdout.read(size)
                    proc.stdout.read(1)
                    if len(data) != size:
                        raise GitError("git cat-file ended early")
                    if parts[1] != b"tree":
                        out[n] = None
                        continue
                    out[n] = (parts[0].decode("ascii"), _parse_tree(data, len(parts[0]) // 2))
        except (BrokenPipeError, OSError) as exc:
            self.close()
            raise GitError(f"git cat-file failed: {exc}") from None
        return out

    def detach(self) -> None:
        """In a forked child: forget (without closing it for the parent) the cat-file
        process; the child starts its own when it needs one."""
        proc, self._batch = self._batch, None
        if proc is not None:
            for fh in (proc.stdin, proc.stdout):
                try:
                    os.close(fh.fileno())
                except (OSError, ValueError):
                    pass

    def _cat_file(self) -> subprocess.Popen:
        if self._batch is None or self._batch.poll() is not None:
            self._batch = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.root, env=_env(),
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL)
        return self._batch


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (SHA-1 repositories), computed without git,
    so an unmodified working-tree file shares its cache entry with HEAD."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _parse_tree(data: bytes, oid_len: int) -> dict[bytes, tuple[bool, str]]:
    """Entries of a raw tree object: ``<mode> <name>\\0<binary id>`` repeated."""
    entries = {}
    i, end = 0, len(data)
    while i < end:
        sp = data.index(b" ", i)
        nul = data.index(b"\0", sp)
        mode = data[i:sp]
        oid = data[nul + 1:nul + 1 + oid_len].hex()
        i = nul + 1 + oid_len
        if mode == b"160000":
            continue  # a submodule (commit): not ours to read
        entries[data[sp + 1:nul]] = (mode != b"40000", oid)
    return entries


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _require_oid(text: str) -> None:
    if not _is_oid(text):  # a programming error: only verified ids reach git
        raise ValueError(f"not a verified object id: {text!r}")


def _parse_commit(record: str) -> Commit:
    oid, _, rest = record.partition("\x1f")
    when, _, subject = rest.partition("\x1f")
    return Commit(oid, when, subject)


def _first_line(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text.splitlines()[-1] if text else "unknown error"


def describe_worktree(path: Path) -> dict:
    """The commit checked out at ``path`` and whether files below ``path`` have
    uncommitted changes: ``{"commit": full id or None, "dirty": bool}``.

    Used to stamp reports with their provenance; outside a repository (or without git)
    the answer is ``{"commit": None, "dirty": False}``, never an error."""
    folder = path if path.is_dir() else path.parent
    try:
        head = _git(["rev-parse", "--verify", "--quiet", "HEAD"], folder)
        if head.returncode != 0:
            return {"commit": None, "dirty": False}
        status = _git(["status", "--porcelain", "--untracked-files=normal", "--", "."], folder)
    except (GitError, OSError):
        return {"commit": None, "dirty": False}
    commit = head.stdout.decode("ascii", "replace").strip() or None
    dirty = status.returncode == 0 and bool(status.stdout.strip())
    return {"commit": commit, "dirty": dirty}
