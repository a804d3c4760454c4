"""The steps of `make test`, one after another, with a table of their times at the end.

    python scripts/test_steps.py                 # every step (make test)
    python scripts/test_steps.py --only site     # some steps (make test-classroom)
    python scripts/test_steps.py --load 2        # with 2 CPU-bound processes beside the tests (make test-stress)

Steps: lint (ruff), unit (unit and project tests with coverage of course_utils), notebooks (every
notebook in quick mode under nbval, each exercise's student version checked in the same run, see
tests/harness.py), site (the website and slides built from those executed notebooks and opened in
headless Chromium). The first failing step stops the run; the table is printed either way, and the
exit status is that step's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
WORKERS = os.environ.get("PYTEST_WORKERS", "2")
PYTEST = [PY, "-m", "pytest", "-n", WORKERS, "--dist"]
STEPS: dict[str, list[list[str]]] = {
    "lint": [[PY, "-m", "ruff", "check", "."], [PY, "-m", "ruff", "format", "--check", "course_utils", "tests", "scripts"]],
    "unit": [
        PYTEST
        + ["loadfile", "--cov", "--cov-report=term-missing:skip-covered", "--cov-fail-under=90", "--durations=10"]
        + ["tests", "course_utils", "--ignore=tests/test_site.py"]
    ],
    "notebooks": [PYTEST + ["loadfile", "--nbval-lax", "--nbval-cell-timeout=300", "-p", "no:cacheprovider", "notebooks"]],
    "site": [PYTEST + ["loadgroup", "-p", "no:cacheprovider", "tests/test_site.py"]],
}
BUSY = "import time\nend = time.monotonic() + 7200\nwhile time.monotonic() < end:\n    pass\n"  # stops by itself after 2 h


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=list(STEPS), help="run only these steps, in the usual order")
    parser.add_argument("--load", type=int, default=0, help="CPU-bound processes to run beside the tests (stress)")
    args = parser.parse_args(argv)
    names = [s for s in STEPS if not args.only or s in args.only]
    hogs = [subprocess.Popen([PY, "-c", BUSY]) for _ in range(args.load)]
    if hogs:
        print(f"running beside {len(hogs)} CPU-bound process(es) (pids {[h.pid for h in hogs]}) on {os.cpu_count()} cores", flush=True)
    rows: list[tuple[str, float, int]] = []
    status = 0
    try:
        for name in names:
            if name == "notebooks":
                shutil.rmtree(ROOT / "build" / "test-executed", ignore_errors=True)  # the site is built from this run's copies
            t0 = time.perf_counter()
            code = 0
            for cmd in STEPS[name]:
                print("$", " ".join(Path(c).name if c == PY else c for c in cmd), flush=True)
                code = subprocess.call(cmd, cwd=ROOT)
                if code:
                    break
            rows.append((name, time.perf_counter() - t0, code))
            if code:
                status = code
                break
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    print("\nmake test: time per step" + (f" (beside {len(hogs)} CPU-bound processes)" if hogs else ""))
    for name, seconds, code in rows:
        print(f"  {name:10s} {seconds:7.1f} s  {'passed' if code == 0 else f'FAILED (exit {code})'}")
    skipped = names[len(rows) :]
    if skipped:
        print(f"  not run: {', '.join(skipped)}")
    print(f"  {'total':10s} {sum(r[1] for r in rows):7.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
