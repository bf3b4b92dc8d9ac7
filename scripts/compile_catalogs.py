#!/usr/bin/env python3
"""Message catalogues of the reports (gettext, through Babel).

    python scripts/compile_catalogs.py            # compile every kapm.po to kapm.mo
    python scripts/compile_catalogs.py --update   # extract messages from the templates and
                                                  # kapm.report, merge them into every kapm.po,
                                                  # then compile
    python scripts/compile_catalogs.py --check    # exit 1 when a committed kapm.mo is stale

Sources: ``src/kapm/locale/<lang>/LC_MESSAGES/kapm.po`` (edit these). The compiled
``kapm.mo`` files are committed so an installed kapm needs no build step; a test runs
``--check``. After ``--update``, translate the new empty ``msgstr`` entries and compile.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "kapm" / "locale"
TEMPLATES = ROOT / "templates"
PY_SOURCES = ROOT / "src" / "kapm" / "report"
PY_MODULES = [ROOT / "src" / "kapm" / "status.py"]


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/kapm.po"))


def compiled(po: Path) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def extract():
    """A catalogue template (POT) of every message in the templates and kapm.report."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    pot = Catalog(project="kapm", fuzzy=False)
    jinja_opts = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true",
                  "newstyle_gettext": "true"}
    methods = [("**.j2", "jinja2.ext:babel_extract")]
    for filename, lineno, message, comments, context in extract_from_dir(
            str(TEMPLATES), method_map=methods, options_map={"**.j2": jinja_opts}):
        pot.add(message, None, [(f"templates/{filename}", lineno)], auto_comments=comments, context=context)
    keywords = {"N_": None, "t": None, "_": None, "gettext": None}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PY_SOURCES), method_map=[("**.py", "python")], keywords=keywords):
        pot.add(message, None, [(f"src/kapm/report/{filename}", lineno)], auto_comments=comments, context=context)
    from babel.messages.extract import extract_from_file

    for module in PY_MODULES:  # sentences built outside kapm.report (health reasons)
        for lineno, message, comments, context in extract_from_file("python", str(module), keywords=keywords):
            pot.add(message, None, [(str(module.relative_to(ROOT)), lineno)], auto_comments=comments,
                    context=context)
    return pot


def update() -> None:
    from babel.messages.pofile import read_po, write_po

    pot = extract()
    for po in catalogues():
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        catalog.update(pot, no_fuzzy_matching=True)
        buf = io.BytesIO()
        write_po(buf, catalog, omit_header=False, sort_output=True, width=100, ignore_obsolete=True,
                 include_lineno=False)
        po.write_bytes(buf.getvalue())
        untranslated = [m.id for m in catalog if m.id and not m.string]
        for msg in untranslated:
            print(f"{po.relative_to(ROOT)}: untranslated: {msg!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="extract and merge new messages first")
    parser.add_argument("--check", action="store_true", help="fail when a kapm.mo is out of date")
    args = parser.parse_args(argv)
    if args.update:
        update()
    stale = []
    for po in catalogues():
        mo = po.with_suffix(".mo")
        data = compiled(po)
        if args.check:
            if not mo.is_file() or mo.read_bytes() != data:
                stale.append(mo)
        else:
            mo.write_bytes(data)
            print(f"compiled {mo.relative_to(ROOT)}")
    for mo in stale:
        print(f"{mo.relative_to(ROOT)} is out of date: run python scripts/compile_catalogs.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
