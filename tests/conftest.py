import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# kapm keeps built validators and holiday tables next to its code (kapm.codecache).
# Tests, and the kapm processes they start, use a cache of their own: never the
# checkout's, and a fresh one on every run.
_TEST_CACHE = tempfile.mkdtemp(prefix="kapm-test-cache-")
os.environ["KAPM_CACHE_DIR"] = _TEST_CACHE


# Property tests: `make test` (and CI) draws the same examples on every run, so main stays
# green or red for a reason, not by luck; with KAPM_LONG=1 every run explores new random
# examples.  A failure found either way is kept in .hypothesis/ and replayed first.
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("kapm", derandomize=True)
_hyp_settings.register_profile("kapm-long", derandomize=False)
_hyp_settings.load_profile("kapm-long" if os.environ.get("KAPM_LONG") == "1" else "kapm")


def pytest_unconfigure(config):
    shutil.rmtree(_TEST_CACHE, ignore_errors=True)


def write_files(base: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text or bytes} under base; return base."""
    for name, content in files.items():
        p = base / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return base


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    """Factory: write files into tmp_path, chdir there, return the folder."""
    monkeypatch.chdir(tmp_path)

    def make(files: dict[str, str | bytes]) -> Path:
        return write_files(tmp_path, files)

    return make


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture(autouse=True)
def _cli_crashes_fail_tests(monkeypatch):
    """CliRunner turns an uncaught exception into exit code 1 — the same code as
    "findings"; re-raise instead, so a crash can never pass for an expected exit 1."""
    from typer.testing import CliRunner

    original = CliRunner.invoke

    def invoke(self, *args, **kwargs):
        kwargs.setdefault("catch_exceptions", False)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(CliRunner, "invoke", invoke)
