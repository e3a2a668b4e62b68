"""Building frozen, slotted dataclass instances fast, for the readers that build one per line of a file.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, a Python-level call per field:
for a ``Line`` (19 fields) that is most of what building it costs, and the EDIFACT reader builds a ``Line`` and a
``Declaration`` for every line and message of a file. An ``Assembler`` sets the slots directly, through each
field's slot descriptor, and gives an object equal to ``cls(**fields)`` in every respect (tests/test_assembler.py).
It runs no ``__post_init__``, so it refuses a class that has one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from itertools import repeat
from operator import call
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Assembler(Generic[T]):
    """``assembler(values, **more)`` is ``cls(**(defaults | values | more))`` for a frozen, slotted dataclass.

    ``defaults`` must give every field that has no plain default of its own (the fields without a default and
    those with a ``default_factory``): every object it builds then has all its fields."""

    __slots__ = ("_cls", "_defaults", "_setters")

    def __init__(self, cls: type[T], defaults: Mapping[str, Any]) -> None:
        if not (is_dataclass(cls) and hasattr(cls, "__slots__") and cls.__dataclass_params__.frozen):
            raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass")
        if hasattr(cls, "__post_init__"):
            raise TypeError(f"{cls.__name__} has a __post_init__, which an Assembler would not run")
        declared = fields(cls)
        unknown = set(defaults) - {field.name for field in declared}
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        missing = [field.name for field in declared if field.default is MISSING and field.name not in defaults]
        if missing:
            raise TypeError(f"no default for {cls.__name__}'s {', '.join(missing)}")
        # in field order: ``defaults | values`` keeps this order, and the values line up with the setters
        self._defaults = {field.name: defaults.get(field.name, field.default) for field in declared}
        self._setters = [vars(cls)[field.name].__set__ for field in declared]
        self._cls = cls

    def __call__(self, values: Mapping[str, Any], **more: Any) -> T:
        given = self._defaults | values
        if more:
            given.update(more)
        if len(given) != len(self._setters):
            raise TypeError(f"{self._cls.__name__} has no field {', '.join(sorted(set(given) - set(self._defaults)))}")
        built = object.__new__(self._cls)
        # each setter called with (built, value) by map in C, drained by a deque that keeps nothing: no bytecode
        # runs per field, which halves the cost of building a Line
        deque(map(call, self._setters, repeat(built), given.values()), 0)
        return built
