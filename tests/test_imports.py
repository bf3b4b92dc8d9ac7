"""Start-up stays light: the CLI module imports no heavy library (STYLE: lazy imports)."""

import subprocess
import sys


def _loaded(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_cli_is_light():
    mods = _loaded("import kapm.cli")
    for heavy in ("networkx", "jinja2", "pydantic", "rich", "holidays", "yaml", "typer"):
        assert heavy not in mods, f"import kapm.cli loaded {heavy}"


def test_help_does_not_load_heavy_libraries():
    mods = _loaded("import kapm.cli\ntry:\n    kapm.cli.build_app()(['--help'])\nexcept SystemExit:\n    pass")
    for heavy in ("networkx", "jinja2", "pydantic", "holidays", "yaml"):
        assert heavy not in mods, f"kapm --help loaded {heavy}"


def test_version_fast_path():
    out = subprocess.run([sys.executable, "-m", "kapm", "--version"], capture_output=True, text=True)
    from kapm import __version__

    assert out.returncode == 0 and out.stdout.strip() == f"kapm {__version__}"
