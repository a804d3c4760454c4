"""The environment files agree, torchvision works with the pinned torch, CI calls the README's command."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        m = re.match(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_agrees_with_lock():
    lock = _pins((ROOT / "requirements-lock.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_pins = _pins(pip_section)
    assert env_pins, "environment.yml pins nothing"
    mismatched = {k: (v, lock.get(k)) for k, v in env_pins.items() if lock.get(k) != v}
    assert not mismatched, f"environment.yml and requirements-lock.txt disagree (env, lock): {mismatched}"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert python == "python=3.11"


def test_every_declared_dependency_is_pinned_in_both_files():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in meta["dependencies"]}
    for extra in meta["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    lock = _pins((ROOT / "requirements-lock.txt").read_text().splitlines())
    env = _pins((ROOT / "environment.yml").read_text().splitlines())
    assert declared - lock.keys() == set(), f"declared but not in the lock: {declared - lock.keys()}"
    assert declared - env.keys() == set(), f"declared but not in environment.yml: {declared - env.keys()}"
    assert all(">=" in r for r in meta["dependencies"]), "pyproject.toml keeps lower bounds, not pins"


def test_installed_environment_is_the_locked_one():
    """What runs the tests is what the lock pins (the venv is rebuilt when the lock changes)."""
    import sys
    from importlib.metadata import PackageNotFoundError, version

    lock = _pins((ROOT / "requirements-lock.txt").read_text().splitlines())
    wrong = {}
    for name, pinned in lock.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed is None or installed.split("+")[0] != pinned.split("+")[0]:
            wrong[name] = (pinned, installed)
    assert not wrong, f"installed versions differ from requirements-lock.txt (lock, installed): {wrong}; run `make setup`"
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert python == f"python={sys.version_info.major}.{sys.version_info.minor}", (
        f"tests run on Python {sys.version.split()[0]}, environment.yml says {python}"
    )
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11" and sys.version_info >= (3, 11), "pyproject.toml, the README and the Makefile say Python 3.11 or later"


def test_torchvision_imports_and_builds_a_transform():
    import torch
    from torchvision.transforms import v2

    transform = v2.Compose([v2.ToImage(), v2.RandomCrop(28, padding=2), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5], [0.5])])
    out = transform(torch.randint(0, 256, (1, 28, 28), dtype=torch.uint8))
    assert out.shape == (1, 28, 28) and out.dtype == torch.float32


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert commands[-1] == "make test"
    allowed = ("set ", "cd ", "if ! command -v chromium", "apt-get update", "DEBIAN_FRONTEND=noninteractive apt-get install", "fi")
    assert all(c.startswith(allowed) for c in commands[:-1]), "CI installs system packages, then runs the README's command only"


def test_bundled_data_is_small_and_shipped_with_the_package():
    bundled = ROOT / "course_utils" / "bundled"
    size = sum(p.stat().st_size for p in (bundled / "mnist_subset").glob("*.gz"))
    assert size <= 3 * 2**20, f"bundled MNIST is {size / 2**20:.2f} MiB, over 3 MiB"
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["course_utils"]
    assert "bundled/MANIFEST.json" in package_data and "bundled/mnist_subset/*.gz" in package_data
