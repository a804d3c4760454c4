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


def usable_data_dir(write: bool = False) -> Path:
    """``data_dir()`` after checking that it is a folder this process can read (and, with ``write=True``, create
    and write to); otherwise an ``OSError`` that names ``COURSE_DATA_DIR`` (or the default) and the fix."""
    path = data_dir()
    where = f"COURSE_DATA_DIR={os.environ['COURSE_DATA_DIR']!r}" if os.environ.get("COURSE_DATA_DIR") else f"the data directory {path}"
    fix = "set COURSE_DATA_DIR to a folder you can write to (it is created if missing), or unset it to use ~/.cache/course_data"
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as err:  # a parent folder that cannot be searched
        raise PermissionError(f"{where} cannot be reached ({err.strerror or err}): {fix}") from err
    if exists and not is_dir:
        raise NotADirectoryError(f"{where} is a file, not a folder: {fix}")
    if is_dir and not os.access(path, os.R_OK | os.X_OK):
        raise PermissionError(f"{where} cannot be read (permissions of {path}): `chmod u+rx {path}`, or {fix}")
    if write:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise type(err)(f"{where}: cannot create the folder ({err.strerror or err}): {fix}") from err
        if not os.access(path, os.W_OK):
            raise PermissionError(f"{where} is read-only, and the course writes MNIST there: `chmod u+w {path}`, or {fix}")
    return path


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
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as err:  # not JSON, or not text
        raise OSError(f"{manifest_path} is not valid JSON ({err}). {RESTORE_HINT}") from err
    if not isinstance(manifest, dict):
        raise OSError(f"{manifest_path} should map file names to SHA-256 digests, not hold a {type(manifest).__name__}. {RESTORE_HINT}")
    expected = manifest.get(relative)
    if expected is None:
        raise FileNotFoundError(f"{relative} is not listed in {manifest_path}. {RESTORE_HINT}")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise OSError(f"bundled data file {path} is corrupted (SHA-256 {actual[:12]}... expected {expected[:12]}...). {RESTORE_HINT}")
    return path
