"""Checks for exercises and claims: each one fails loudly and says why."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any
from unittest import mock

import torch


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None, name: str = "value") -> None:
    """``torch.testing.assert_close`` with a message that shows what was expected and what came out.

    Accepts tensors, numbers, or sequences of them. Tolerances default to
    PyTorch's for the dtype.
    """
    a = actual if isinstance(actual, torch.Tensor) else torch.as_tensor(actual)
    e = expected if isinstance(expected, torch.Tensor) else torch.as_tensor(expected)
    if not isinstance(expected, torch.Tensor) and a.is_floating_point() and not e.is_floating_point():
        e = e.to(a.dtype)
    if not isinstance(actual, torch.Tensor) and e.is_floating_point():
        a = a.to(e.dtype)
    try:
        torch.testing.assert_close(a, e, rtol=rtol, atol=atol)
    except AssertionError as err:
        raise AssertionError(f"{name} is not close to the expected value.\n  expected: {_show(e)}\n  got:      {_show(a)}\n{err}") from None


def _show(t: torch.Tensor, limit: int = 6) -> str:
    flat = t.detach().flatten()
    body = ", ".join(f"{v:.6g}" if t.is_floating_point() else str(v) for v in flat[:limit].tolist())
    more = f", ... ({flat.numel()} values)" if flat.numel() > limit else ""
    return f"tensor(shape={tuple(t.shape)}, dtype={t.dtype}) [{body}{more}]"


def check_finite(value: Any, name: str = "value") -> None:
    """Raise ``FloatingPointError`` if ``value`` (a number or tensor) holds NaN or inf."""
    t = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(value, dtype=torch.float64)
    if not torch.isfinite(t).all():
        bad = (~torch.isfinite(t)).sum().item()
        raise FloatingPointError(f"{name} has {bad} non-finite entr{'y' if bad == 1 else 'ies'} (NaN or inf): {_show(t)}")


@dataclass(frozen=True)
class Claim:
    """One checked claim, as the ledger records it.

    ``kind`` is ``"quantitative"`` (a measured ``value`` against ``above`` and/or ``below``), ``"qualitative"``
    (a yes/no fact, with ``why`` it is not a quantity), or ``"unmeasured"`` (a bare ``holds``: to be made one
    of the other two). ``margin`` is how far inside its threshold the value sits, as a ratio: 1.0 at the
    threshold, 2.0 when the value is twice the ``above`` bound (or half the ``below`` bound), below 1 when
    the claim fails; for a range, the smaller of its two margins.
    """

    claim: str
    held: bool
    kind: str
    value: float | None = None
    above: float | None = None
    below: float | None = None
    margin: float | None = None
    why: str = ""
    evidence: str = ""

    def _ipython_display_(self) -> None:  # a cell that ends with check_claim(...) shows the printed line only
        pass

    def record(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def _check_bounds(above: float | None, below: float | None) -> None:
    if above is None and below is None:
        raise ValueError("a quantitative claim needs a threshold: above=..., below=..., or both")
    for bound, name in ((above, "above"), (below, "below")):
        if bound is not None and (not math.isfinite(bound) or bound < 0):
            raise ValueError(f"{name}={bound!r}: thresholds are non-negative numbers (margins are ratios); express the claim as a gap")


def margin(value: float, above: float | None = None, below: float | None = None) -> float:
    """How far inside its bounds ``value`` sits, as a ratio (1.0 at a bound; see :class:`Claim`).

    The quantities are ratios, gaps, distances or times: a bound must be >= 0. A negative ``value`` against
    ``above`` (an effect that reversed; a range too) has margin 0, so its claim fails; against ``below`` alone it is an error
    (a bound on a signed quantity says nothing of its size: bound its absolute value)."""
    _check_bounds(above, below)
    ratios = []
    if value < 0:
        if above is not None:  # an effect reversed ("at least 2 modes more" measured -1): the claim fails, margin 0
            return 0.0
        raise ValueError(
            f"value={value!r} is negative: margins are ratios; express the claim with a non-negative quantity (a gap, a ratio)"
        )
    if above is not None:
        ratios.append(value / above if above > 0 else (math.inf if value > 0 else 0.0))
    if below is not None:
        ratios.append(below / value if value > 0 else (math.inf if below > 0 else 0.0))
    return min(ratios)


def _number(x: Any, what: str) -> float:
    if isinstance(x, torch.Tensor):
        if x.numel() != 1:
            raise ValueError(f"{what} must be one number, got a tensor of shape {tuple(x.shape)}")
        x = x.item()
    try:
        return float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, got {type(x).__name__}: {x!r}") from None


def _truth(holds: Any) -> bool | None:
    """bool(holds), or None when it is NaN (a NaN is truthy in Python: a claim must not pass on it)."""
    if isinstance(holds, torch.Tensor):
        if holds.numel() != 1:
            raise ValueError(f"holds must be one truth value, got a tensor of shape {tuple(holds.shape)}: use .all() or .any()")
        if holds.is_floating_point() and math.isnan(holds.item()):
            return None
        return bool(holds.item())
    if isinstance(holds, float) and math.isnan(holds):
        return None
    return bool(holds)


_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def claim_key(notebook: str, claim: str) -> str:
    """A claim's identity across runs: its notebook and its text with the numbers masked (f-strings put figures in it)."""
    return notebook + " :: " + _NUMBER.sub("#", claim)


_STATED = re.compile(
    r"(?:\b(?:at least|at most|more than|less than|fewer than|greater than|no more than|no less than|over|above|below|under|"
    r"within|exceeds?|beyond|up to)|[<>]=?|[≤≥])\s*(?:a factor of\s*)?(\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?)\s*(%|x\b|-fold|×)?"
    r"|(\d[\d,]*(?:\.\d+)?)\s*(x|-fold|×)\s+(?:faster|slower|closer|smaller|larger|lower|higher|fewer|more|less)",
    re.IGNORECASE,
)


_RANGE = re.compile(
    r"\bbetween\s+(\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?)\s*(%?)(?:x\b|×|-fold)?\s*and\s+(\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?)\s*(%?)",
    re.IGNORECASE,
)


def stated_bounds(claim: str) -> list[str]:
    """The figures a claim's text states as bounds: 'at least 1.5x', 'below 2.1', 'within 0.05', '5x faster',
    both ends of 'between 0.5 and 0.7'."""
    found = [(m.start(), (m.group(1) or m.group(3)).replace(",", "") + ("%" if m.group(2) == "%" else "")) for m in _STATED.finditer(claim)]
    for m in _RANGE.finditer(claim):
        percent = "%" if m.group(2) or m.group(4) else ""
        found += [(m.start(1), m.group(1).replace(",", "") + percent), (m.start(3), m.group(3).replace(",", "") + percent)]
    return [figure for _, figure in sorted(found)]


def _agrees(figure: str, bound: float) -> bool:
    """Whether a stated figure (as written, maybe with %) is ``bound``: as itself, a percentage, an inverse ratio,
    or for a whole number n a strict bound n +- 0.5 (``above=3.5`` checks "at least 4")."""
    percent = figure.endswith("%")
    number = figure.rstrip("%")
    f = float(number)
    digits = max(0, -Decimal(number).as_tuple().exponent)  # "1e-6" has 6 digits, "0.05" 2, "4" none
    candidates = [bound, bound * 100] + ([1 / bound] if bound > 0 else [])
    if digits == 0 and not percent:
        candidates += [bound + 0.5, bound - 0.5]
    scale = 10**digits  # round half up, as a reader does (Python's round(6.5) is 6)
    return any(
        math.isfinite(c) and (abs(math.floor(c * scale + 0.5) / scale - f) <= 0.5 / scale + 1e-12 or abs(c - f) <= 0.02 * abs(f))
        for c in candidates
    )


def bound_mismatch(claim: str, above: float | None, below: float | None) -> str | None:
    """None when the text states no bound or states one the thresholds are; else what disagrees.

    A sentence that says "at least 5x faster" must be checked against 5, not 1.5: the audit of issue 17
    found texts and thresholds that had drifted apart."""
    stated = stated_bounds(claim)
    bounds = [b for b in (above, below) if b is not None]
    if not stated or not bounds:
        return None
    ranges = list(_RANGE.finditer(claim))
    if ranges and above is not None and below is not None:  # "between A and B": A is above's and B is below's
        ends = stated_bounds(ranges[0].group(0))
        if _agrees(ends[0], above) and _agrees(ends[1], below):
            return None
    elif any(_agrees(f, b) for f in stated for b in bounds):
        return None
    return f"the text states {', '.join(stated)} but the thresholds are " + " and ".join(
        f"{n}={b:.4g}" for n, b in (("above", above), ("below", below)) if b is not None
    )


LEDGER_ENV = "COURSE_CLAIMS_LOG"  # a file path: each claim is appended to it as one JSON line (the audit sets it)


def check_claim(
    claim: str,
    holds: Any = None,
    evidence: Mapping[str, Any] | str = "",
    *,
    value: Any = None,
    above: float | None = None,
    below: float | None = None,
    qualitative: str | None = None,
) -> Claim:
    """Check a claim, print it with its measurement and evidence; raise ``AssertionError`` if it fails.

    Quantitative (the rule): ``check_claim(text, value=ratio, above=1.5, evidence=...)`` holds when
    ``value > above`` (and/or ``value < below``); the printed line and the ledger give the margin.
    Qualitative (the exception): ``check_claim(text, holds, evidence, qualitative="an exception is raised")``
    for facts that are not quantities; ``qualitative`` says why. A bare ``holds`` is still accepted and is
    recorded as ``unmeasured``. A NaN value, or a NaN ``holds``, fails the claim, saying so. A text that states a
    bound ("at least 5x") other than the threshold is refused (:func:`bound_mismatch`).
    ``evidence`` should contain the numbers the verdict rests on (seed spread included for noisy ones).
    """
    text = evidence if isinstance(evidence, str) else ", ".join(f"{k}={_fmt(v)}" for k, v in evidence.items())
    if value is not None:
        if holds is not None:
            raise TypeError("give either value= with above=/below= (the verdict follows from them) or holds=, not both")
        v = _number(value, "value")
        lo = None if above is None else _number(above, "above")
        hi = None if below is None else _number(below, "below")
        _check_bounds(lo, hi)  # before the text is compared with them
        if disagreement := bound_mismatch(claim, lo, hi):
            raise ValueError(f"the claim's text and its threshold disagree: {disagreement}. Make them the same: {claim!r}")
        if math.isnan(v):
            record = Claim(claim, False, "quantitative", v, lo, hi, None, "", text)
            _log(record)
            raise AssertionError(f"CLAIM FAILED: {claim}\n  measured: value=nan (the measurement is NaN)\n  evidence: {text}")
        m = margin(v, lo, hi)
        held = (lo is None or v > lo) and (hi is None or v < hi)
        record = Claim(claim, held, "quantitative", v, lo, hi, m, "", text)
        bounds = " and ".join(b for b in ((f"> {lo:.4g}" if lo is not None else ""), (f"< {hi:.4g}" if hi is not None else "")) if b)
        measured = f"\n  measured: {v:.4g}, needed {bounds}: margin {m:.3g}x"
    else:
        if above is not None or below is not None:
            raise TypeError("above=/below= need value=: the measured quantity they bound")
        if holds is None:
            raise TypeError("check_claim needs value= with above=/below=, or holds= (with qualitative='why' for a yes/no fact)")
        truth = _truth(holds)
        kind = "qualitative" if qualitative else "unmeasured"
        record = Claim(claim, bool(truth), kind, why=qualitative or "", evidence=text)
        measured = f"\n  qualitative: {qualitative}" if qualitative else ""
        if truth is None:
            _log(record)
            raise AssertionError(
                f"CLAIM FAILED: {claim}\n  holds is NaN (a NaN is truthy: the measurement behind it failed)\n  evidence: {text}"
            )
    _log(record)
    if not record.held:
        raise AssertionError(f"CLAIM FAILED: {claim}{measured}\n  evidence: {text}")
    print(f"CLAIM HOLDS: {claim}{measured}" + (f"\n  evidence: {text}" if text else ""))
    return record


def _log(record: Claim) -> None:
    path = os.environ.get(LEDGER_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record.record(), default=str) + "\n")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def check_exercise(name: str, ok: bool, hint: str) -> None:
    """Pass silently with a tick, or raise ``AssertionError`` carrying a hint for the student."""
    if not ok:
        raise AssertionError(f"Exercise '{name}' is not solved yet. Hint: {hint}")
    print(f"Exercise '{name}': correct.")


@contextlib.contextmanager
def from_scratch(*library: str) -> Iterator[None]:
    """While open, each named library function (a dotted path such as ``"torch.nn.functional.layer_norm"``) raises.

    Wrap the call of a student's answer in it, so that an exercise cannot be answered by calling what it replaces."""
    with contextlib.ExitStack() as stack:
        for name in library:
            refused = RuntimeError(f"write it from scratch: {name} is what this exercise replaces")
            stack.enter_context(mock.patch(name, side_effect=refused))
        yield
