"""MNIST for the course, always read by ``torchvision.datasets.MNIST`` itself.

The loader tries, in order: a full copy under the data directory (``COURSE_DATA_DIR``,
default ``~/.cache/course_data``; its files are checked against MNIST's MD5 sums), a download
into it (skipped when ``COURSE_OFFLINE=1``), and the class-balanced subset that ships inside
this package. It prints which one it used.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from . import bundle
from .bundle import bundled_file, check_size, data_dir, offline

MNIST_SOURCES = ("auto", "full", "download", "bundled")
# MD5 of the decompressed files: MNIST's canonical checksums (torchvision checks the same after a download).
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
_MNIST_FILES = tuple(MNIST_MD5)
_CACHE: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
_VERIFIED: set[tuple[str, int, int]] = set()


def _bundled_mnist_root() -> Path:
    """Decompress the verified bundled subset into ``<data dir>/bundled_mnist/MNIST/raw`` and return its root.

    Each file is written under a temporary name and renamed, so that parallel workers never read
    a half-written file.
    """
    root = data_dir() / "bundled_mnist"
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in _MNIST_FILES:
        src = bundled_file(f"mnist_subset/{name}.gz")
        stamp = raw / f"{name}.sha256"
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        if not (raw / name).is_file() or not stamp.is_file() or stamp.read_text() != digest:
            tmp = raw / f".{name}.{os.getpid()}.tmp"
            with gzip.open(src) as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout)
            os.replace(tmp, raw / name)
            tmp_stamp = raw / f".{name}.sha256.{os.getpid()}.tmp"
            tmp_stamp.write_text(digest)
            os.replace(tmp_stamp, stamp)
    return root


def _has_mnist(root: Path) -> bool:
    return all((root / "MNIST" / "raw" / f).is_file() for f in _MNIST_FILES)


def verify_full_copy(root: Path) -> None:
    """Check the four files under ``root/MNIST/raw`` against MNIST's MD5 sums (once per file version)."""
    for name, md5 in MNIST_MD5.items():
        path = root / "MNIST" / "raw" / name
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key in _VERIFIED:
            continue
        if hashlib.md5(path.read_bytes()).hexdigest() != md5:
            raise OSError(
                f"{path} is not MNIST's {name} (its MD5 differs from {md5}): the copy is corrupt or incomplete. "
                "Reinstall it with `make full-data MNIST=/path/to/mnist`, or remove the folder to use the bundled subset."
            )
        _VERIFIED.add(key)


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _download_mnist(root: Path) -> None:
    """Let torchvision download MNIST into ``root``; raises on any failure."""
    from torchvision.datasets import MNIST

    with _socket_timeout(15), contextlib.redirect_stdout(open(os.devnull, "w")):
        MNIST(root, train=True, download=True)


def load_mnist(train: bool = True, transform: Callable | None = None, source: str = "auto", verbose: bool = True):
    """MNIST as a ``torchvision.datasets.MNIST`` (PIL images, int labels; pass ``transform``).

    ``source``: "auto" (full copy, else download, else bundled), "full",
    "download" or "bundled".
    """
    from torchvision.datasets import MNIST

    if source not in MNIST_SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}; valid choices: {', '.join(MNIST_SOURCES)}")
    root, notice = None, ""
    if source in ("auto", "full") and _has_mnist(data_dir()):
        verify_full_copy(data_dir())
        root, notice = data_dir(), f"MNIST: using the copy in {data_dir()}"
    elif source == "full":
        raise FileNotFoundError(
            f"no MNIST copy in {data_dir() / 'MNIST' / 'raw'} (expected {', '.join(_MNIST_FILES)}). "
            "Set COURSE_DATA_DIR to a folder that has MNIST/raw/, or use source='auto'."
        )
    if root is None and source in ("auto", "download"):
        if offline() and source == "auto":
            notice = "MNIST: no local copy and COURSE_OFFLINE=1"
        else:
            try:
                _download_mnist(data_dir())
                root, notice = data_dir(), f"MNIST: downloaded to {data_dir()}"
            except Exception as err:  # no network, a mirror down, a partial file...
                if source == "download":
                    raise RuntimeError(
                        f"MNIST download failed ({type(err).__name__}: {err}). Check the connection, or use source='bundled'."
                    ) from err
                notice = f"MNIST: download failed ({type(err).__name__})"
    if root is None:
        root = _bundled_mnist_root()
        notice += "; " if notice else "MNIST: "
        notice += "using the bundled subset (10,000 train / 2,000 test images, 1,000/200 per class)"
    dataset = MNIST(root, train=train, transform=transform, download=False)
    if verbose:
        print(f"{notice} -> {'train' if train else 'test'} split, {len(dataset):,} images")
    return dataset


def mnist_tensors(
    train: bool = True, n: int | None = None, source: str = "auto", verbose: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as in-memory tensors: images ``(N, 1, 28, 28)`` float32 in [0, 1] and labels int64.

    ``n`` keeps a fixed random subset of that size (the same for every call).
    Much faster to train on than a ``DataLoader`` over PIL images.
    """
    check_size("n", n)
    key = ("mnist", train, source, str(data_dir()), str(bundle.BUNDLED_DIR))
    if key not in _CACHE:
        ds = load_mnist(train=train, source=source, verbose=verbose)
        _CACHE[key] = (ds.data.unsqueeze(1).float().div_(255.0), ds.targets.clone())
    elif verbose:
        print(f"MNIST: {'train' if train else 'test'} tensors from memory")
    x, y = _CACHE[key]
    if n is not None:
        if n > len(y):
            raise ValueError(f"n={n} is larger than the {len(y):,} images available")
        keep = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))[:n].sort().values
        x, y = x[keep], y[keep]
    return x.clone(), y.clone()
