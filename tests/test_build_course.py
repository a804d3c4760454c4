"""The course index finds a title and an estimated time in every notebook."""

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_course", ROOT / "scripts" / "build_course.py")
build_course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_course)


def test_every_notebook_has_title_and_time_for_the_index():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        title, minutes = build_course.header(nbformat.read(path, as_version=4))
        assert title.startswith(path.name[:2]) and minutes != "not stated", path.name
        assert "quick mode" in minutes, f"{path.name}: the estimated time should state the quick-mode time"
