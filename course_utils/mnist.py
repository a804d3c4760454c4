"""MNIST for the course, always read by ``torchvision.datasets.MNIST`` itself.

The loader tries, in order: a full copy under the data directory (``COURSE_DATA_DIR``,
default ``~/.cache/course_data``; its files are checked against MNIST's MD5 sums), a download
into it (skipped when ``COURSE_OFFLINE=1``, and after a failed attempt in the same session), and the
class-balanced subset that ships inside this package, decompressed into the data directory and checked
on every load. It prints which one it used.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from . import bundle
from .bundle import bundled_file, check_size, data_dir, offline, usable_data_dir

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
_DOWNLOAD_FAILED: list[str] = []  # the error of this session's failed download: later "auto" loads do not wait for it again
OFFLINE_HINT = "Set COURSE_OFFLINE=1 to skip the download attempt."


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bundled_mnist_root() -> Path:
    """Decompress the verified bundled subset into ``<data dir>/bundled_mnist/MNIST/raw`` and return its root.

    Every call checks each decompressed file against the SHA-256 recorded when it was written (``NAME.sha256``
    holds the archive's digest and the file's), and decompresses again a file that is missing, truncated or
    changed. Each file is written under a temporary name and renamed, so that parallel workers never read a
    half-written file.
    """
    root = data_dir() / "bundled_mnist"
    raw = root / "MNIST" / "raw"
    for name in _MNIST_FILES:
        src = bundled_file(f"mnist_subset/{name}.gz")
        archive_digest = _sha256(src.read_bytes())
        stamp, target = raw / f"{name}.sha256", raw / name
        recorded = stamp.read_text().split() if stamp.is_file() else []
        if len(recorded) == 2 and recorded[0] == archive_digest and target.is_file():
            if _sha256(target.read_bytes()) == recorded[1]:
                continue
            print(f"MNIST: {target} was damaged (its SHA-256 changed): decompressing it again from the bundled archive")
        usable_data_dir(write=True)
        try:
            raw.mkdir(parents=True, exist_ok=True)
            data = gzip.decompress(src.read_bytes())
            for path, content in ((target, data), (stamp, f"{archive_digest} {_sha256(data)}".encode())):
                tmp = raw / f".{path.name}.{os.getpid()}.tmp"
                tmp.write_bytes(content)
                os.replace(tmp, path)
        except PermissionError as err:
            raise PermissionError(
                f"cannot write the bundled MNIST subset to {raw} ({err.strerror}): set COURSE_DATA_DIR to a folder you can write to"
            ) from err
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


def _is_train(train: bool | str) -> bool:
    """``train`` as a bool: True or False, or the split's name, "train" or "test"."""
    if isinstance(train, bool):
        return train
    if isinstance(train, str) and train in ("train", "test"):
        return train == "train"
    raise ValueError(f"train must be True, False, 'train' or 'test', got {train!r}")


def load_mnist(train: bool | str = True, transform: Callable | None = None, source: str = "auto", verbose: bool = True):
    """MNIST as a ``torchvision.datasets.MNIST`` (PIL images, int labels; pass ``transform``).

    ``train``: True or "train" for the training split, False or "test" for the test split.
    ``source``: "auto" (full copy, else download, else bundled), "full",
    "download" or "bundled". A download that fails is not tried again by later "auto" loads in the same session.
    """
    from torchvision.datasets import MNIST

    train = _is_train(train)
    if source not in MNIST_SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}; valid choices: {', '.join(MNIST_SOURCES)}")
    folder = usable_data_dir()
    root, notice, hint = None, "", ""
    if source in ("auto", "full") and _has_mnist(folder):
        verify_full_copy(folder)
        root, notice = folder, f"MNIST: using the copy in {folder}"
    elif source == "full":
        raise FileNotFoundError(
            f"no MNIST copy in {folder / 'MNIST' / 'raw'} (expected {', '.join(_MNIST_FILES)}). "
            "Set COURSE_DATA_DIR to a folder that has MNIST/raw/, or use source='auto'."
        )
    if root is None and source in ("auto", "download"):
        if offline() and source == "auto":
            notice = "MNIST: no local copy and COURSE_OFFLINE=1"
        elif _DOWNLOAD_FAILED and source == "auto":
            notice, hint = f"MNIST: no download (it failed earlier in this session: {_DOWNLOAD_FAILED[0]})", OFFLINE_HINT
        elif (unwritable := _unwritable(folder)) and source == "auto":  # not a network failure: say so, and do not remember it
            notice = f"MNIST: no download ({unwritable})"
        else:
            try:
                _download_mnist(usable_data_dir(write=True))
                root, notice = folder, f"MNIST: downloaded to {folder}"
            except Exception as err:  # no network, a mirror down, a partial file...
                if source == "download":
                    raise RuntimeError(
                        f"MNIST download failed ({type(err).__name__}: {err}). Check the connection, or use source='bundled'."
                    ) from err
                _DOWNLOAD_FAILED[:] = [type(err).__name__]
                notice, hint = f"MNIST: download failed ({type(err).__name__})", OFFLINE_HINT + " Later loads in this session skip it."
    if root is None:
        root = _bundled_mnist_root()
        notice += "; " if notice else "MNIST: "
        notice += "using the bundled subset (10,000 train / 2,000 test images, 1,000/200 per class)"
    dataset = MNIST(root, train=train, transform=transform, download=False)
    if verbose:
        print(f"{notice} -> {'train' if train else 'test'} split, {len(dataset):,} images" + (f". {hint}" if hint else ""))
    return dataset


def _unwritable(folder: Path) -> str:
    """'' if a download may write into ``folder``, else why not (the message of usable_data_dir)."""
    try:
        usable_data_dir(write=True)
    except OSError as err:
        return str(err)
    return ""


def mnist_tensors(
    train: bool | str = True, n: int | None = None, source: str = "auto", verbose: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as in-memory tensors: images ``(N, 1, 28, 28)`` float32 in [0, 1] and labels int64.

    ``n`` keeps a fixed random subset of that size (the same for every call).
    Much faster to train on than a ``DataLoader`` over PIL images.
    """
    check_size("n", n)
    train = _is_train(train)
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
        keep = _subset_order(len(y))[:n].sort().values
        x, y = x[keep], y[keep]
    return x.clone(), y.clone()


def _subset_order(total: int) -> torch.Tensor:
    """The fixed order in which ``mnist_tensors(n=...)`` picks its subsets: the first n of it."""
    return torch.randperm(total, generator=torch.Generator().manual_seed(0))


def mnist_heldout(n_train: int, n_val: int, source: str = "auto", verbose: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_val`` training-split images that ``mnist_tensors(train=True, n=n_train)`` leaves out.

    A validation set disjoint from that training subset, the same for every call; the test split stays untouched.
    """
    for name, value in (("n_train", n_train), ("n_val", n_val)):
        if value is None:
            raise ValueError(f"{name} must be a positive int, got None")
        check_size(name, value)
    x, y = mnist_tensors(train=True, source=source, verbose=verbose)
    if n_train + n_val > len(y):
        raise ValueError(f"n_train={n_train:,} plus n_val={n_val:,} is more than the {len(y):,} training images available; use fewer")
    keep = _subset_order(len(y))[n_train : n_train + n_val].sort().values
    return x[keep], y[keep]
