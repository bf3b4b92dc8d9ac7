"""The shared model base: frozen, strict about keys, and aware of its place in the file.

Every model object can carry its *path* inside the validated document, e.g.
``("tasks", 3, "tasks", 1)``: the same key/index path the YAML source map and pydantic's
error ``loc`` use (keys are the YAML keys, so ``with``/``from``/``in``, not the Python
attribute names). :func:`assign_paths` fills it in after validation.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Iterator, Union

from pydantic import BaseModel, ConfigDict, PrivateAttr

__all__ = ["KapmModel", "assign_paths", "known_fields", "model_at", "iter_models"]

Path = tuple[str | int, ...]


class KapmModel(BaseModel):
    """Base of every kapm model: frozen, unknown keys are errors (S001)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # Free text written as a YAML number (`phone: 12345`, `name: 2024`) is still text.
        coerce_numbers_to_str=True,
        # Build validators on first use, not at import: commands that only need the
        # classes (rule docs, --help) stay fast.
        defer_build=True,
    )

    _path: Path = PrivateAttr(default=())

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # pydantic initialises private attributes after validation with a generic
        # function (a deep copy of every default, twice per object through its wrappers:
        # ~2 µs; a 100,000-task plan validates 300,000 objects).  kapm's private defaults
        # are immutable, so a copy of one dict does the same.
        super().__pydantic_init_subclass__(**kwargs)
        _install_fast_post_init(cls)

    @property
    def path(self) -> Path:
        """Where this object sits in its document, e.g. ``('tasks', 3, 'depends', 0)``."""
        # straight from the private store (``self._path`` goes through BaseModel.__getattr__:
        # ~1 µs, and rules read hundreds of thousands of paths on a large plan)
        return self.__pydantic_private__["_path"]

    def __eq__(self, other: object) -> bool:
        # Equality is about content: the same task at another position is still equal.
        if not isinstance(other, BaseModel) or type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__


def _install_fast_post_init(cls: type) -> None:
    try:  # pydantic internals: if a release moves them, keep pydantic's own (slower) path
        from pydantic._internal._model_construction import init_private_attributes
        from pydantic_core import PydanticUndefined
    except ImportError:  # pragma: no cover - depends on the installed pydantic
        return

    current = cls.__dict__.get("model_post_init")
    inner = getattr(current, "__wrapped__", current)  # pydantic wraps an inherited one
    if inner is not init_private_attributes and not getattr(inner, "_kapm_fast", False):
        return  # a model_post_init of its own: leave pydantic's machinery alone
    defaults = {}
    for name, attr in cls.__private_attributes__.items():
        default = attr.default
        if attr.default_factory is not None or default is PydanticUndefined or not _immutable(default):
            return
        defaults[name] = default

    def model_post_init(self: Any, context: Any, /) -> None:
        if getattr(self, "__pydantic_private__", None) is None:
            object.__setattr__(self, "__pydantic_private__", defaults.copy())

    model_post_init._kapm_fast = True  # type: ignore[attr-defined]
    cls.model_post_init = model_post_init  # type: ignore[method-assign]


def _immutable(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_immutable(x) for x in value)
    return value is None or isinstance(value, (str, int, float, frozenset))


def _field_key(name: str, field: Any) -> str:
    return field.alias or name


def iter_models(obj: Any, path: Path = ()) -> Iterator[tuple[Path, KapmModel]]:
    """Every model object inside ``obj`` (itself included) with its path, depth first."""
    if isinstance(obj, KapmModel):
        yield path, obj
        for name, field in type(obj).model_fields.items():
            yield from iter_models(getattr(obj, name), path + (_field_key(name, field),))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from iter_models(item, path + (i,))
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from iter_models(item, path + (key,))


def _model_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, YAML key) of the fields of ``cls`` that can hold model objects."""
    cached = cls.__dict__.get("_kapm_model_fields")
    if cached is None:
        cached = tuple((name, _field_key(name, f)) for name, f in cls.model_fields.items()
                       if _holds_models(f.annotation))
        type.__setattr__(cls, "_kapm_model_fields", cached)
    return cached


def _holds_models(tp: Any) -> bool:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return True
    return any(_holds_models(a) for a in typing.get_args(tp))


_FIELDS_BY_CLASS: dict[type, tuple] = {}  # class -> _model_fields(class), filled as met


def _assign(obj: Any, path: Path) -> None:
    if isinstance(obj, KapmModel):
        # straight into pydantic's private-attribute store: BaseModel.__setattr__ costs
        # ~1 µs per object, and a 100,000-task plan has half a million of them
        obj.__pydantic_private__["_path"] = path
        fields = _FIELDS_BY_CLASS.get(type(obj))
        if fields is None:
            fields = _FIELDS_BY_CLASS[type(obj)] = _model_fields(type(obj))
        if not fields:
            return
        values = obj.__dict__
        for name, key in fields:
            value = values[name]
            if value is None:
                continue
            if type(value) is list:
                if not value:
                    continue
                base = path + (key,)
                for i, item in enumerate(value):
                    if _FIELDS_BY_CLASS.get(type(item)) == ():
                        item.__pydantic_private__["_path"] = base + (i,)  # a leaf model (Dependency)
                    else:
                        _assign(item, base + (i,))
            else:
                _assign(value, path + (key,))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            _assign(item, path + (i,))
    elif isinstance(obj, dict):
        for key, item in obj.items():
            _assign(item, path + (key,))


def assign_paths(doc: KapmModel, root: Path = ()) -> None:
    """Record on every nested model object its path inside ``doc`` (see :attr:`path`).

    Setting a private attribute is allowed on frozen models; field values stay frozen.
    """
    # Only fields that can hold models are walked (a generic walk over every scalar
    # costs 0.5 s on 10,000 tasks).
    _assign(doc, root)


def known_fields(model_cls: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as written in YAML (aliases), in declaration order."""
    return [_field_key(name, f) for name, f in model_cls.model_fields.items()]


def _strip(tp: Any) -> Any:
    """Peel ``Annotated`` and ``X | None`` off a type."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def model_at(root_cls: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping found at ``loc`` under ``root_cls``.

    For an ``extra_forbidden`` error with ``loc = (*where, key)`` call
    ``known_fields(model_at(ProjectDoc, where))`` to get did-you-mean candidates.
    Returns ``None`` when ``loc`` does not lead to a model.
    """
    tp: Any = root_cls
    for step in loc:
        tp = _strip(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = tp.model_fields
            match = next(
                (f for n, f in fields.items() if _field_key(n, f) == step), None
            )
            if match is None:
                return None
            tp = match.annotation
        elif origin in (list, tuple) and isinstance(step, int):
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return None
