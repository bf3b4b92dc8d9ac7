"""Data derived from kapm's own code, kept between runs next to that code, as Python
keeps byte code in ``__pycache__``.

Two things live there, both pure functions of the installed code, never of a project:
built pydantic validators (:mod:`kapm.model.cache`) and the public holidays of the
countries used so far (:mod:`kapm.workdays`).  Names carry a key of the code that made
them, so an upgrade never reads stale data.

* The folder is ``__kapmcache__`` inside the installed ``kapm`` package, or
  ``$KAPM_CACHE_DIR`` when set (``KAPM_CACHE_DIR=``, empty, turns caching off).  Beside
  the code, the validators (pickles: code) are exactly as trusted as the code itself:
  whoever can write there can already change kapm.  A folder such as ``~/.cache``, which
  CI systems save and restore between jobs (and a pull request can poison), is not used.
  A package folder kapm cannot write (a system-wide install) means no cache.
* A file is read only when it and the folder belong to the current user and nobody
  else can write them (ssh's rule for ``~/.ssh``); the folder is created ``0700`` and
  files are written atomically ``0600``.
* Caching is an optimisation only: a missing, foreign or unreadable file, or a folder
  that cannot be written, just means the data is computed again.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "read", "write"]


def cache_dir() -> Path | None:
    """Where kapm keeps its cache, or None when caching is off."""
    env = os.environ.get("KAPM_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    return Path(__file__).resolve().parent / "__kapmcache__"


def _private(st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else (POSIX; on Windows the profile's
    own ACLs protect the folder and the mode bits mean nothing)."""
    if os.name == "nt":
        return True
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def read(name: str) -> bytes | None:
    """The content of cache file ``name``, or None (no cache, no such file, not private)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / name
    try:
        if not (_private(os.stat(folder)) and _private(os.stat(path))):
            return None
        return path.read_bytes()
    except OSError:
        return None


# Another version of an entry (other key) is removed once it has not been written for
# this long: an upgrade leaves no garbage, and two installations used side by side (two
# virtualenvs) do not delete each other's files on every run.
STALE_SECONDS = 7 * 24 * 3600


def write(name: str, data: bytes, replaces: str | None = None) -> None:
    """Store ``data`` as cache file ``name``; remove the stale files matching the glob
    ``replaces`` (older versions of the same entry).  Failures are ignored."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.stat(folder)):
            return
        from kapm.atomic import write_atomic

        path = folder / name
        # no fsync: a file cut short by a crash fails to load and is computed again
        write_atomic(path, data, mode=0o600, durable=False)
        if replaces:
            import time

            cutoff = time.time() - STALE_SECONDS
            for old in folder.glob(replaces):
                if old.name != name and old.stat().st_mtime < cutoff:
                    old.unlink(missing_ok=True)
    except OSError:
        pass
