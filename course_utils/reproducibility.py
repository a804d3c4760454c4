"""Seeding, device selection and the quick-mode switch shared by every notebook."""

from __future__ import annotations

import os
import platform
import random
import re
from pathlib import Path

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
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**64:  # checked before any seed is set
        raise ValueError(f"seed must be a non-negative int below 2**64 (torch's seed range), got {seed!r}")
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
    if not isinstance(default, bool):
        raise ValueError(f"QUICK={default!r} is not allowed: use True or False")
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        raise ValueError(f"{QUICK_ENV}={value!r} is not understood; use {QUICK_ENV}=1 (quick) or {QUICK_ENV}=0 (full)")
    return default


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device(prefer: str | None = None, verbose: bool = True) -> torch.device:
    """Pick a device: ``prefer`` if given ("cuda", "cuda:1", "mps", "cpu"), else ``COURSE_DEVICE``, else CUDA, then MPS, then CPU.

    Prints a one-line report unless ``verbose=False``, and a notice when ``prefer``
    overrides a different ``COURSE_DEVICE`` (a notebook that must run on the CPU).
    A malformed name raises ``ValueError``; a device that is not available raises ``RuntimeError`` naming what is
    available. Both say where the name came from (``prefer`` or ``COURSE_DEVICE``).
    """
    available = ["cpu"] + (["mps"] if _mps_available() else []) + (["cuda"] if torch.cuda.is_available() else [])
    requested = os.environ.get("COURSE_DEVICE", "").strip()
    if prefer is None:
        prefer, source = requested or available[-1], f"COURSE_DEVICE={requested!r}" if requested else "the best available"
    else:
        source = f"prefer={str(prefer)!r}"
        if requested and requested.split(":")[0].lower() != str(prefer).split(":")[0].lower():
            print(f"Note: COURSE_DEVICE={requested!r} is not used here: this code runs on {prefer!r}.")
    name, unset = str(prefer), " (or unset COURSE_DEVICE)" if source.startswith("COURSE_DEVICE") else ""
    match = re.fullmatch(r"(cpu|cuda|mps)(?::(\d+))?", name.strip().lower())
    if match is None:
        raise ValueError(f"unknown device {name!r} (from {source}); choose one of 'cpu', 'cuda', 'cuda:N', 'mps'{unset}")
    kind, index = match.group(1), None if match.group(2) is None else int(match.group(2))
    if kind != "cuda" and index not in (None, 0):
        raise ValueError(f"device {name!r} (from {source}) does not exist: there is one {kind} device, use {kind!r}{unset}")
    cuda_count = torch.cuda.device_count() if kind == "cuda" and kind in available else 0
    if kind not in available or (kind == "cuda" and (index or 0) >= cuda_count):
        found = f"; {cuda_count} CUDA device(s), cuda:0 to cuda:{cuda_count - 1}" if cuda_count else ""
        raise RuntimeError(
            f"device {name!r} (from {source}) was requested but is not available on this machine "
            f"(available: {', '.join(available)}{found}). Pass prefer='cpu' or unset COURSE_DEVICE."
        )
    device = torch.device(kind if index is None else f"{kind}:{index}")
    if verbose:
        print(describe_device(device))
    return device


SIMD_FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile")  # what decides the CPU's kernels


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo; ``platform`` where that cannot be read)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """Which of ``SIMD_FLAGS`` this CPU has (from /proc/cpuinfo; empty where it cannot be read)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return [f for f in SIMD_FLAGS if f in have]
    except OSError:
        pass
    return []


def describe_device(device: torch.device) -> str:
    """One line saying what the device is, e.g.
    ``Device: cpu (AMD EPYC 7B13; avx2 avx512f avx512_bf16; 2 threads), torch 2.14.1``: CPU figures depend on all of it."""
    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        what = "Apple Metal (MPS)"
    else:
        what = f"{cpu_name()}; {' '.join(cpu_flags()) or 'no AVX2'}; {torch.get_num_threads()} threads"
    return f"Device: {device} ({what}), torch {torch.__version__}"


def strict_warnings() -> None:
    """Turn deprecation warnings raised by torch, torchvision or the notebook's own calls into errors.

    The test run sets ``COURSE_STRICT_WARNINGS=1`` (importing ``course_utils`` then calls this), so
    that an API on its way out is replaced before it breaks a student's notebook.
    """
    import warnings

    for category in (DeprecationWarning, FutureWarning):
        warnings.filterwarnings("error", category=category, module=r"(torch|torchvision|__main__)(\.|$)")
