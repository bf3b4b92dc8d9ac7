"""The code cache (kapm.codecache): built validators and holiday tables kept between
runs.  It must be used, give exactly what it replaces, and never trust a file it did
not write safely."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from kapm import codecache
from kapm.model import AccountFile, ProjectDoc, WorkspaceConfig
from kapm.model import cache as model_cache
from kapm.yamlload import load_bytes

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "examples" / "acme-erp"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, and nothing remembered in this process."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("KAPM_CACHE_DIR", str(folder))
    monkeypatch.setattr(model_cache, "_memo", {})
    from kapm import workdays

    monkeypatch.setattr(workdays, "_STORED", {})
    monkeypatch.setattr(workdays, "_COUNTRY_CACHE", {})
    return folder


def _run(code: str, cache_dir: Path) -> str:
    env = {**os.environ, "KAPM_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


# The second run of the main commands must not generate a single pydantic schema nor
# import `holidays`.
_PROBE = """
import contextlib, io, sys
import pydantic._internal._generate_schema as gs
calls = []
original = gs.GenerateSchema.generate_schema
gs.GenerateSchema.generate_schema = lambda self, *a, **k: (calls.append(1), original(self, *a, **k))[1]
from kapm.cli import main
out = io.StringIO()
for args in (["check"], ["plan", "-f", "json"], ["report", "-t", "steering", "-f", "html"], ["risks"]):
    with contextlib.redirect_stdout(out):
        try:
            main([*args, "examples/acme-erp", "--as-of", "2026-11-20"])
        except SystemExit as done:
            assert done.code in (0, None), (args, done.code)
print(len(calls), 'holidays' in sys.modules, len(out.getvalue()))
"""


def test_second_run_builds_nothing(tmp_path):
    folder = tmp_path / "cache"
    first = _run(_PROBE, folder).split()
    names = sorted(p.name.split("-", 2)[2] if p.name.startswith("validators") else p.name.split("-")[0]
                   + "-" + p.name.rsplit("-", 1)[1] for p in folder.iterdir())
    assert names == ["AccountFile.pickle", "ProjectDoc.pickle", "WorkspaceConfig.pickle", "holidays-CN.json"]
    assert int(first[0]) > 0 and first[1] == "True"  # the first run built and computed them
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    second = _run(_PROBE, folder).split()
    assert second[:2] == ["0", "False"], "the cached validators and holidays were not used"
    assert second[2] == first[2]  # the same output


def _documents() -> list[tuple[str, object]]:
    """Every YAML document of the examples and test data that parses."""
    docs = []
    for folder in ("examples", "tests/malformed", "tests/rule_cases"):
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            loaded = load_bytes(path.read_bytes(), str(path))
            if loaded.data is not None and not loaded.findings:
                docs.append((str(path.relative_to(ROOT)), loaded.data))
    return docs


def _outcome(fn, data):
    from pydantic_core import ValidationError

    try:
        return "ok", fn(data)
    except ValidationError as exc:
        return "errors", exc.errors(include_url=False)


def test_cached_validators_give_what_pydantic_gives(cache, monkeypatch):
    classes = (ProjectDoc, AccountFile, WorkspaceConfig)
    for cls in classes:
        model_cache.validator(cls)  # builds and stores
    assert sorted(p.name.rsplit("-", 1)[1] for p in cache.iterdir()) == sorted(f"{c.__name__}.pickle"
                                                                              for c in classes)
    monkeypatch.setattr(model_cache, "_memo", {})

    def no_build(cls):
        raise AssertionError(f"{cls.__name__} was built instead of read from the cache")

    monkeypatch.setattr(model_cache, "_core_config", no_build)
    docs = _documents()
    assert len(docs) > 100
    outcomes = set()
    for name, data in docs:
        for cls in classes:
            got = _outcome(lambda d: model_cache.validate(cls, d), data)
            want = _outcome(cls.model_validate, data)
            assert got == want, f"{name} as {cls.__name__}"
            outcomes.add(got[0])
    assert outcomes == {"ok", "errors"}


def test_corrupt_cache_file_is_rebuilt(cache):
    model_cache.validator(WorkspaceConfig)
    (path,) = cache.glob("validators-*-WorkspaceConfig.pickle")
    good = path.read_bytes()
    path.write_bytes(b"\x80\x05not a pickle")
    model_cache._memo.clear()
    assert model_cache.validate(WorkspaceConfig, {"kapm": 1}) == WorkspaceConfig.model_validate({"kapm": 1})
    assert path.read_bytes() == good  # written again


@pytest.mark.parametrize("target", ["file", "folder"])
def test_files_others_can_write_are_not_read(cache, target):
    model_cache.validator(WorkspaceConfig)
    (path,) = cache.glob("validators-*-WorkspaceConfig.pickle")
    assert codecache.read(path.name) == path.read_bytes()
    (path if target == "file" else cache).chmod(0o666 if target == "file" else 0o777)
    assert codecache.read(path.name) is None
    codecache.write("other.json", b"{}")  # a folder others can write is not written either
    assert (cache / "other.json").exists() == (target == "file")


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to give a file away")
def test_files_of_another_user_are_not_read(cache):
    model_cache.validator(WorkspaceConfig)
    (path,) = cache.glob("validators-*-WorkspaceConfig.pickle")
    os.chown(path, 12345, 12345)
    assert codecache.read(path.name) is None


def _listing(folder: Path) -> list:
    return sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir()) if folder.is_dir() else []


def test_empty_cache_dir_turns_caching_off(tmp_path, monkeypatch):
    beside_code = Path(codecache.__file__).parent / "__kapmcache__"
    before = _listing(beside_code)
    monkeypatch.setenv("KAPM_CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(model_cache, "_memo", {})
    assert codecache.cache_dir() is None
    model_cache.validate(WorkspaceConfig, {"kapm": 1})
    codecache.write("x.json", b"{}")
    assert list(tmp_path.rglob("*")) == [] and _listing(beside_code) == before


def test_the_cache_lives_beside_the_code_not_in_a_shared_cache_folder(tmp_path, monkeypatch):
    """~/.cache and $XDG_CACHE_HOME are saved and restored by CI systems between jobs
    (and can be poisoned by a pull request); the validators are pickles, so they stay
    next to kapm's own code, which is no less trusted."""
    monkeypatch.delenv("KAPM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert codecache.cache_dir() == Path(codecache.__file__).resolve().parent / "__kapmcache__"
    monkeypatch.setenv("KAPM_CACHE_DIR", str(tmp_path / "mine"))
    assert codecache.cache_dir() == tmp_path / "mine"


def test_stored_holidays_equal_the_package(cache):
    from kapm import workdays

    fresh = {y: workdays._holidays_year(workdays._country_class("CN"), "CN", y) for y in (2024, 2025, 2026)}
    for y in fresh:
        assert workdays._country_year("CN", y) == fresh[y]
    (path,) = cache.glob("holidays-*-CN.json")
    stored = json.loads(path.read_text())
    assert sorted(stored) == ["2024", "2025", "2026"]
    assert date(2026, 2, 14) in fresh[2026][1]  # a 调休 make-up Saturday is in the data
    workdays._STORED.clear()
    workdays._COUNTRY_CACHE.clear()
    assert workdays.country_is_stored("CN") and not workdays.country_is_stored("US")
    for y in fresh:
        assert workdays._stored_year("CN", y) == fresh[y]


def test_damaged_holidays_file_is_recomputed(cache):
    from kapm import workdays

    want = workdays._country_year("CN", 2026)
    (path,) = cache.glob("holidays-*-CN.json")
    path.write_text(json.dumps({"2026": [["not a date"], [], []], "2025": "junk"}))
    workdays._STORED.clear()
    workdays._COUNTRY_CACHE.clear()
    assert workdays._country_year("CN", 2026) == want
    assert workdays._country_year("CN", 2025) == workdays._holidays_year(workdays._country_class("CN"), "CN", 2025)
    path.write_text("[1, 2")
    workdays._STORED.clear()
    workdays._COUNTRY_CACHE.clear()
    assert workdays._country_year("CN", 2026) == want


def test_unknown_country_is_not_stored(cache):
    from kapm import workdays

    with pytest.raises(ValueError):
        workdays._country_year("XX", 2026)
    assert not list(cache.glob("holidays-*"))
    assert not workdays.country_is_stored("XX")


def test_other_versions_are_removed_only_when_stale(cache):
    import time

    model_cache.validator(WorkspaceConfig)
    (current,) = cache.glob("validators-*-WorkspaceConfig.pickle")
    recent, stale = cache / "validators-aaaa-WorkspaceConfig.pickle", cache / "validators-bbbb-WorkspaceConfig.pickle"
    for old in (recent, stale):
        old.write_bytes(b"another installation")
        old.chmod(0o600)
    week_ago = time.time() - codecache.STALE_SECONDS - 60
    os.utime(stale, (week_ago, week_ago))
    current.unlink()
    model_cache._memo.clear()
    model_cache.validator(WorkspaceConfig)  # writes the current version again
    assert current.exists() and recent.exists() and not stale.exists()
