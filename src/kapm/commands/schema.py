"""kapm schema: the JSON Schema of the file format, for editors."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from kapm.commands import common


def register(app: typer.Typer) -> None:
    @app.command()
    def schema(output: Optional[Path] = common.Output) -> None:
        """Print the JSON Schema of kapm files (use with yaml-language-server)."""
        import json

        from kapm.model import json_schema

        common.emit(json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n", output)
