"""Where the course's data lives: the data directory, the offline switch, and the files that
ship inside the package (``course_utils/bundled/``), each verified against its SHA-256 in
``MANIFEST.json`` before use."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

BUNDLED_DIR = Path(__file__).with_name("bundled")
RESTORE_HINT = (
    "Restore it with `git checkout -- course_utils/bundled` (or reinstall the course), "
    "or rebuild the bundle with `python scripts/build_bundled_data.py`."
)


def data_dir() -> Path:
    """The course's data directory: ``$COURSE_DATA_DIR`` or ``~/.cache/course_data``."""
    return Path(os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "course_data").expanduser()


def offline() -> bool:
    """True when ``COURSE_OFFLINE=1``: never try to download."""
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def check_size(name: str, value: int | None) -> None:
    """Raise ``ValueError`` unless ``value`` is a positive int (or None)."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise ValueError(f"{name} must be a positive int or None, got {value!r}")


def bundled_file(relative: str) -> Path:
    """Path of a bundled file after checking it exists and matches its SHA-256 in ``MANIFEST.json``."""
    path = BUNDLED_DIR / relative
    manifest_path = BUNDLED_DIR / "MANIFEST.json"
    for p in (manifest_path, path):
        if not p.is_file():
            raise FileNotFoundError(f"bundled data file {p} is missing. {RESTORE_HINT}")
    expected = json.loads(manifest_path.read_text()).get(relative)
    if expected is None:
        raise FileNotFoundError(f"{relative} is not listed in {manifest_path}. {RESTORE_HINT}")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise OSError(f"bundled data file {path} is corrupted (SHA-256 {actual[:12]}... expected {expected[:12]}...). {RESTORE_HINT}")
    return path
