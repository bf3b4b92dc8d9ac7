"""Built validators kept between runs (next to the code, :mod:`kapm.codecache`).

pydantic builds a model's validator in two steps: Python code walks the annotations and
writes a *core schema* (a tree of plain dicts; ~30 ms for kapm's project document, a
tenth of a small ``kapm check``), then pydantic-core compiles that tree into a validator
(well under a millisecond).  The first step gives the same tree every time for the same
sources and library versions, so kapm keeps it on disk and later runs only do the
second step.

* The file is ``validators-<key>-<Model>.pickle``; ``<key>`` hashes the model sources,
  kapm, pydantic, pydantic-core and Python versions, so an upgrade or an edited model
  never reads an old tree.  Validators therefore must pickle: no lambdas or closures
  in the models (module-level functions and ``functools.partial`` of them instead).
* The model classes themselves stay as pydantic built them (validators deferred), so
  every other pydantic API keeps working and builds what it needs on first use.
* Results are identical with or without the cache (tested); a corrupt file is rebuilt.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

__all__ = ["validator", "validate"]

_FORMAT = "1"  # bump when the file layout changes
_memo: dict[type, Any] = {}
_key: str | None = None


def validate(cls: type, data: Any) -> Any:
    """``cls.model_validate(data)`` through the cached validator."""
    return validator(cls).validate_python(data)


def validator(cls: type) -> Any:
    """The pydantic-core validator of model ``cls`` (built once per process)."""
    v = _memo.get(cls)
    if v is None:
        v = _memo[cls] = _load_or_build(cls)
    return v


def _cache_key() -> str:
    global _key
    if _key is None:
        import pydantic
        import pydantic_core

        from kapm import __version__

        h = hashlib.sha256()
        for part in (_FORMAT, __version__, pydantic.VERSION, pydantic_core.__version__, sys.version):
            h.update(part.encode() + b"\0")
        for src in sorted(Path(__file__).parent.glob("*.py")):
            h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
        _key = h.hexdigest()[:24]
    return _key


def _load_or_build(cls: type) -> Any:
    from pydantic_core import SchemaValidator

    from kapm import codecache

    name = f"validators-{_cache_key()}-{cls.__name__}.pickle"
    data = codecache.read(name)
    if data is not None:
        import pickle

        try:
            schema, config = pickle.loads(data)
            return SchemaValidator(schema, config)
        except Exception:  # noqa: BLE001 - corrupt or stale: build it again below
            pass
    cls.model_rebuild()
    schema = cls.__pydantic_core_schema__
    config = _core_config(cls)
    if config is None:
        return cls.__pydantic_validator__
    _store(name, schema, config, cls.__name__)
    return SchemaValidator(schema, config)


def _core_config(cls: type) -> Any:
    try:  # pydantic internals (cold path only); without them, no cache
        from pydantic._internal._config import ConfigWrapper
    except ImportError:  # pragma: no cover - depends on the installed pydantic
        return None
    return ConfigWrapper(cls.model_config).core_config(title=cls.__name__)


def _store(name: str, schema: Any, config: Any, model: str) -> None:
    import pickle

    from kapm import codecache

    try:
        data = pickle.dumps((schema, config), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a validator that cannot be stored: just do not cache
        return
    codecache.write(name, data, replaces=f"validators-*-{model}.pickle")
