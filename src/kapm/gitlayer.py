"""The only module that runs git.

Revisions given by users are verified with ``git rev-parse --verify --end-of-options``
before any other use; arguments are always passed as a list (no shell)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(args: list[str], cwd: Path, *, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, check=False)


def repo_root(path: Path) -> Path | None:
    """Top of the git work tree containing ``path`` (None outside a repository)."""
    d = path if path.is_dir() else path.parent
    for folder in (d.resolve(), *d.resolve().parents):
        if (folder / ".git").exists():
            return folder
    return None


def ignored_filter(root: Path):
    """A predicate telling whether a folder below ``root`` is ignored by git.

    One ``git ls-files`` call lists the ignored untracked folders; outside a repository
    (or without git) nothing is ignored."""
    top = repo_root(root)
    if top is None:
        return lambda path: False
    try:
        proc = _git(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], top)
    except OSError:
        return lambda path: False
    if proc.returncode != 0:
        return lambda path: False
    ignored = {(top / p.rstrip("/")).resolve() for p in proc.stdout.decode("utf-8", "replace").split("\0") if p}
    if not ignored:
        return lambda path: False
    return lambda path: path.resolve() in ignored


def describe_worktree(path: Path) -> dict:
    """The commit checked out at ``path`` and whether files below ``path`` have
    uncommitted changes: ``{"commit": sha or None, "dirty": bool}``.

    Used to stamp reports with their provenance; outside a repository (or without git)
    both are empty (``None`` / ``False``)."""
    folder = path if path.is_dir() else path.parent
    try:
        head = _git(["rev-parse", "--verify", "-q", "HEAD"], folder)
    except OSError:
        return {"commit": None, "dirty": False}
    if head.returncode != 0:
        return {"commit": None, "dirty": False}
    commit = head.stdout.decode("ascii", "replace").strip() or None
    status = _git(["status", "--porcelain", "--untracked-files=normal", "--", "."], folder)
    dirty = status.returncode == 0 and bool(status.stdout.strip())
    return {"commit": commit, "dirty": dirty}
