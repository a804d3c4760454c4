"""Regenerate requirements-lock.txt from the packages installed in the running environment."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements-lock.txt"
SKIP = re.compile(r"^(-e |# Editable|nvidia-|triton=|cuda-|pip=|course.utils)", re.I)

header = [line for line in LOCK.read_text().splitlines() if line.startswith("#")]
frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True).stdout
pins = sorted((line for line in frozen.splitlines() if line and not SKIP.match(line)), key=str.lower)
LOCK.write_text("\n".join(header + pins) + "\n")
print(f"wrote {len(pins)} pins to {LOCK}")
