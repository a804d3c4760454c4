"""Checking a notebook's parameters in its setup cell: each has the right type and range, ``None`` becomes its
default, and a name passed to papermill that the notebook does not have is an error, not just papermill's warning.

>>> QUICK = cu.quick_mode(QUICK)
>>> cu.check_parameters(
...     globals(),
...     QUICK=cu.Param(bool),
...     SEED=cu.Param(int, low=0),
...     EPOCHS=cu.Param(int, low=1, default=2 if QUICK else 4),  # None: 2 in quick mode, 4 in full mode
... )
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

_NOT_NONE: Any = object()  # Param.default when None is not allowed
_PLAIN = (bool, int, float, str, list, tuple, dict, type(None))  # the kinds of value papermill injects
_NAMES = {bool: "True or False", int: "an int", float: "a number", str: "a string", list: "a list", tuple: "a tuple", dict: "a dict"}
_CHECKED = "_PARAMETERS_CHECKED"  # set in the namespace once its parameters passed


@dataclass(frozen=True)
class Param:
    """What one notebook parameter may be.

    ``kind``: its type (or a tuple of types; a float parameter also takes an int). ``low``, ``high``: the
    inclusive range of a number. ``default``: the value that ``None`` stands for; leave it out when None is not
    allowed, give ``default=None`` when None stays None (the notebook works it out later). ``why``: the reason
    for the range, added to the message.
    """

    kind: type | tuple[type, ...]
    low: float | None = None
    high: float | None = None
    default: Any = _NOT_NONE
    why: str = ""

    def expected(self) -> str:
        """What the parameter may be, in words: ``an int from 1 to 100, or None for the default``."""
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        text = " or ".join(_NAMES.get(k, f"a {k.__name__}") for k in kinds)
        if self.low is not None and self.high is not None:
            text += f" from {self.low:,} to {self.high:,}"
        elif self.low is not None:
            text += f" >= {self.low:,}"
        elif self.high is not None:
            text += f" <= {self.high:,}"
        if self.why:
            text += f" ({self.why})"
        if self.default is not _NOT_NONE:
            text += ", or None" + ("" if self.default is None else f" for the default ({self.default!r})")
        return text

    def allows(self, value: Any) -> bool:
        """Whether ``value`` (after None became the default) has the right type and lies in the range."""
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        if value is None and self.default is None:
            return True
        if isinstance(value, bool):  # True is an int to Python, not to a notebook
            return bool in kinds
        number = isinstance(value, (int, float))
        if not isinstance(value, kinds) and not (float in kinds and number):
            return False
        if not number:
            return True
        finite = isinstance(value, int) or math.isfinite(value)  # isfinite overflows on ints beyond a float's range
        return finite and (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


def check_parameters(namespace: dict, /, **spec: Param) -> None:
    """Check the notebook's parameters in ``namespace`` (pass ``globals()``) against ``spec``, one ``Param`` a name.

    A ``None`` becomes the parameter's default and an int given for a float becomes a float, in ``namespace``.
    Raises ``ValueError`` naming each parameter whose value is wrong, with the value and what is allowed. On the
    first call it also rejects any other plain value (number, string, list...) in ``namespace``: papermill injects
    every name it is given below the parameters cell, a misspelt one too, and only warns. So call it first in the
    setup cell, before the cell defines names of its own (running the cell again later is fine).
    """
    problems = []
    for name, param in spec.items():
        if name not in namespace:
            raise KeyError(f"{name} is in the parameter spec but not in the notebook: define it in the parameters cell")
        value = namespace[name]
        if value is None and param.default is not _NOT_NONE:
            value = param.default
        if not param.allows(value):
            problems.append(f"{name}={namespace[name]!r} is not allowed: use {param.expected()}")
        else:
            namespace[name] = float(value) if param.kind is float and value is not None else value
    if _CHECKED not in namespace:  # later runs of the setup cell also see the names that later cells defined
        for name, value in namespace.items():
            if not name.startswith("_") and name not in spec and name not in ("In", "Out") and isinstance(value, _PLAIN):
                problems.append(f"{name}={value!r} is not a parameter of this notebook (they are {', '.join(spec)}): check the name")
    if problems:
        raise ValueError(problems[0] if len(problems) == 1 else "bad notebook parameters:\n  " + "\n  ".join(problems))
    namespace[_CHECKED] = True
