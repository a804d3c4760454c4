"""What every benchmark script shares: the machine's description and the ``--json`` record."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils import cpu_flags, cpu_name  # noqa: E402  (the CPU's model and SIMD flags)


def machine() -> dict:
    """CPU (model and SIMD flags), core count, threads, GPU (or None) and torch version: where the figures come from."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cpu": cpu_name(),
        "cpu_flags": cpu_flags(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    return p


def write_json(path: str | None, name: str, figures: dict, units: dict, extra: dict | None = None) -> None:
    """Write ``{"name", "figures": [{name, value, unit}], <the figures as top-level keys>, "machine", ...}``."""
    if not path:
        return
    record = {
        "name": name,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "figures": [{"name": k, "value": v, "unit": units.get(k, "")} for k, v in figures.items()],
        **figures,
        "machine": machine(),
        **(extra or {}),
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}")
