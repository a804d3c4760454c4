"""Seeding, device selection and the quick-mode switch shared by every notebook."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

QUICK_ENV = "COURSE_QUICK"
STRICT_ENV = "COURSE_STRICT_WARNINGS"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def seed_everything(seed: int, deterministic: bool = False, benchmark: bool = False) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); return a seeded ``torch.Generator``.

    With ``deterministic=True`` PyTorch is also asked to use deterministic
    algorithms (slower on GPU; some operations then raise instead of running).
    ``benchmark=True`` lets cuDNN time several convolution algorithms and keep the fastest:
    faster on GPUs, but the choice (and so the result) may differ between runs, so it stays
    off unless asked for, and is never on together with ``deterministic``.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.use_deterministic_algorithms(deterministic, warn_only=False)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = benchmark and not deterministic
    return torch.Generator().manual_seed(seed)


def quick_mode(default: bool = False) -> bool:
    """True if the notebook should run small: ``default`` or ``COURSE_QUICK=1`` in the environment."""
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        raise ValueError(f"{QUICK_ENV}={value!r} is not understood; use {QUICK_ENV}=1 (quick) or {QUICK_ENV}=0 (full)")
    return bool(default)


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device(prefer: str | None = None, verbose: bool = True) -> torch.device:
    """Pick a device: ``prefer`` if given ("cuda", "mps", "cpu"), else CUDA, then MPS, then CPU.

    Prints a one-line report unless ``verbose=False``, and a notice when ``prefer``
    overrides a different ``COURSE_DEVICE`` (a notebook that must run on the CPU).
    Asking for a device that is not available raises ``RuntimeError`` naming what is available.
    """
    available = ["cpu"] + (["mps"] if _mps_available() else []) + (["cuda"] if torch.cuda.is_available() else [])
    requested = os.environ.get("COURSE_DEVICE")
    if prefer is None:
        prefer = requested or available[-1]
    elif requested and requested.split(":")[0].lower() != str(prefer).split(":")[0].lower():
        print(f"Note: COURSE_DEVICE={requested!r} is not used here: this code runs on {prefer!r}.")
    kind = str(prefer).split(":")[0].lower()
    if kind not in {"cpu", "cuda", "mps"}:
        raise ValueError(f"unknown device {prefer!r}; choose one of 'cpu', 'cuda', 'mps'")
    if kind not in available:
        raise RuntimeError(
            f"device {prefer!r} was requested but is not available on this machine "
            f"(available: {', '.join(available)}). Pass prefer='cpu' or unset COURSE_DEVICE."
        )
    device = torch.device(prefer)
    if verbose:
        print(describe_device(device))
    return device


def describe_device(device: torch.device) -> str:
    """One line saying what the device is, e.g. ``Device: cpu (2 threads), torch 2.14.1``."""
    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        what = "Apple Metal (MPS)"
    else:
        what = f"{torch.get_num_threads()} threads"
    return f"Device: {device} ({what}), torch {torch.__version__}"


def strict_warnings() -> None:
    """Turn deprecation warnings raised by torch, torchvision or the notebook's own calls into errors.

    The test run sets ``COURSE_STRICT_WARNINGS=1`` (importing ``course_utils`` then calls this), so
    that an API on its way out is replaced before it breaks a student's notebook.
    """
    import warnings

    for category in (DeprecationWarning, FutureWarning):
        warnings.filterwarnings("error", category=category, module=r"(torch|torchvision|__main__)(\.|$)")
