"""Print timing figures for the course: quick-mode wall time per notebook (run one at a time, as a
student would), and the cost of the data paths the notebooks use.

    .venv/bin/python scripts/benchmark.py [notebooks/NN_name.ipynb ...]

Nothing is written; the notebooks run in quick mode, offline, on the bundled data.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import torch
from refresh_notebooks import ROOT, execute, quick_env

quick_env(threads=None)  # all cores: one notebook at a time, as a student runs it
sys.path.insert(0, str(ROOT))
import course_utils as cu  # noqa: E402


def time_data_paths() -> None:
    from torch.utils.data import DataLoader
    from torchvision.transforms import v2

    start = time.perf_counter()
    x, y = cu.mnist_tensors(train=True, verbose=False)
    print(f"mnist_tensors (bundled, 10,000 images, first call): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    n = sum(len(b[1]) for b in cu.TensorBatches(x, y, batch_size=128, seed=0))
    tb = n / (time.perf_counter() - start)
    ds = cu.load_mnist(train=True, transform=v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]), verbose=False)
    start = time.perf_counter()
    n = sum(len(b[1]) for b in DataLoader(ds, batch_size=128, shuffle=True))
    dl = n / (time.perf_counter() - start)
    print(f"one epoch of batches: TensorBatches {tb:,.0f} samples/s, DataLoader over PIL images {dl:,.0f} samples/s ({tb / dl:.0f}x)")


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    time_data_paths()
    total = 0.0
    for path in paths:
        _, seconds = execute(path)
        total += seconds
        print(f"{seconds:6.1f} s  {path.name} (quick mode){'  <-- over 45 s' if seconds > 45 else ''}", flush=True)
    print(f"{total:6.1f} s  all {len(paths)} notebooks, one after another")


if __name__ == "__main__":
    main()
