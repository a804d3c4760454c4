"""Run one notebook through papermill many times, one seed a run, and report every run.

    python scripts/repeat_notebook.py notebooks/12_scaling_out.ipynb --seeds 0-29     # make test-distributed
    python scripts/repeat_notebook.py notebooks/02_optimizers.ipynb --seeds 0-1 --full  # full mode, bundled data

For launches of processes and anything else that can fail one time in many: a flaky test is a failing
test, and one passing run says little. Quick mode unless --full. Each run gets the course's test
environment (offline, the bundled data under build/test-data, strict warnings) and a cell timeout;
a run that fails or hangs is reported with its first error and the script exits 1 after the last run.
Executed copies land in build/repeat/<notebook>/seed<N>.ipynb.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def seeds(spec: str) -> list[int]:
    """'0-29' or '3,5,8' -> the list of seeds."""
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def course_env(full: bool) -> None:
    """The course's test environment for papermill runs: offline, the bundled data, strict warnings."""
    os.environ.update(COURSE_OFFLINE="1", COURSE_STRICT_WARNINGS="1", TQDM_DISABLE="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    os.environ.setdefault("COURSE_DATA_DIR", str(ROOT / "build" / "test-data"))
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    if full:
        os.environ.pop("COURSE_QUICK", None)
    else:
        os.environ["COURSE_QUICK"] = "1"


def run(notebook: Path, seed: int, full: bool, out: Path, cell_timeout: int = 900) -> str:
    """Execute ``notebook`` with papermill (SEED=seed); return '' or the error's last line."""
    import papermill as pm

    try:
        pm.execute_notebook(
            str(notebook),
            str(out),
            parameters={"SEED": seed, "QUICK": not full},
            cwd=str(notebook.resolve().parent),
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=cell_timeout,
        )
        return ""
    except Exception as err:  # noqa: BLE001  (report every failure, go on with the next seed)
        return f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"[:300]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--seeds", default="0-29", help="e.g. 0-29 or 3,5,8")
    parser.add_argument("--full", action="store_true", help="full mode (default: quick mode)")
    parser.add_argument("--cell-timeout", type=int, default=900, help="seconds a cell may take before the run counts as hung")
    args = parser.parse_args(argv)
    course_env(args.full)
    out_dir = ROOT / "build" / "repeat" / args.notebook.stem
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for seed in seeds(args.seeds):
        t0 = time.perf_counter()
        error = run(args.notebook, seed, args.full, out_dir / f"seed{seed}.ipynb", args.cell_timeout)
        seconds = time.perf_counter() - t0
        results.append((seed, seconds, error))
        print(f"seed {seed:3d}: {'FAILED' if error else 'passed'} in {seconds:6.1f} s {error}", flush=True)
    failed = [r for r in results if r[2]]
    times = sorted(r[1] for r in results)
    print(
        f"{args.notebook.name} ({'full' if args.full else 'quick'} mode): {len(results) - len(failed)} of {len(results)} runs passed; "
        f"run time median {times[len(times) // 2]:.1f} s, max {times[-1]:.1f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
