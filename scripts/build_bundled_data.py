"""Build the small data sets that ship inside ``course_utils/bundled/``.

Run from the repository root, pointing at a directory with the full data::

    python scripts/build_bundled_data.py --mnist ../shared/data/mnist \
        --shakespeare ../shared/data/shakespeare

It writes
- ``mnist_subset/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``: a
  class-balanced subset of MNIST (1,000 training and 200 test images per class
  by default) in the original IDX format that ``torchvision.datasets.MNIST``
  reads, chosen with a fixed seed so the bundle is reproducible;
- ``shakespeare.txt.gz``: the eight plays joined into one corpus;
- ``MANIFEST.json``: the SHA-256 of every file, checked by ``course_utils.bundle``
  each time a bundled file is loaded.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import struct
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "course_utils" / "bundled"
PLAYS = ["hamlet", "lear", "othello", "macbeth", "romeo_and_juliet", "richard_iii", "coriolanus", "julius_caesar"]


def read_idx(path: Path) -> np.ndarray:
    """Read a (possibly gzipped) IDX file into a uint8 array."""
    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path} is not a uint8 IDX file")
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def write_idx_gz(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzipped IDX file (deterministic: mtime=0)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def balanced_subset(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``per_class`` examples of each digit, in their original order."""
    picks = [rng.choice(np.flatnonzero(labels == c), size=per_class, replace=False) for c in range(10)]
    return np.sort(np.concatenate(picks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", type=Path, required=True, help="folder with the four MNIST .gz files")
    parser.add_argument("--shakespeare", type=Path, required=True, help="folder with the eight plays as .txt")
    parser.add_argument("--train-per-class", type=int, default=1000)
    parser.add_argument("--test-per-class", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    (OUT / "mnist_subset").mkdir(parents=True, exist_ok=True)
    for split, per_class in [("train", args.train_per_class), ("t10k", args.test_per_class)]:
        images = read_idx(args.mnist / f"{split}-images-idx3-ubyte.gz")
        labels = read_idx(args.mnist / f"{split}-labels-idx1-ubyte.gz")
        keep = balanced_subset(labels, per_class, rng)
        write_idx_gz(OUT / "mnist_subset" / f"{split}-images-idx3-ubyte.gz", images[keep])
        write_idx_gz(OUT / "mnist_subset" / f"{split}-labels-idx1-ubyte.gz", labels[keep])
        print(f"MNIST {split}: kept {len(keep)} of {len(labels)} images ({per_class} per class)")

    texts = [(args.shakespeare / f"{name}.txt").read_text(encoding="ascii") for name in PLAYS]
    corpus = "\n\n".join(t.strip("\n") + "\n" for t in texts)
    with open(OUT / "shakespeare.txt.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(corpus.encode("ascii"))
    print(f"Shakespeare: {len(corpus):,} characters from {len(PLAYS)} plays")

    files = sorted(p for p in OUT.rglob("*.gz"))
    # Keep the entries of other bundled files (the classifier written by train_mnist_classifier.py).
    manifest = json.loads((OUT / "MANIFEST.json").read_text()) if (OUT / "MANIFEST.json").is_file() else {}
    manifest.update({p.relative_to(OUT).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files})
    (OUT / "MANIFEST.json").write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    total = sum(p.stat().st_size for p in files)
    print(f"Wrote {len(files)} files, {total / 1e6:.2f} MB, and MANIFEST.json to {OUT}")


if __name__ == "__main__":
    main()
