"""Data for the course: MNIST (full, downloaded or bundled), a Shakespeare corpus,
small synthetic sets, and a fast in-memory batch iterator.

MNIST is always read by ``torchvision.datasets.MNIST`` itself. The loader tries,
in order: a full copy under the data directory (``COURSE_DATA_DIR``, default
``~/.cache/course_data``), a download into it (skipped when ``COURSE_OFFLINE=1``),
and the class-balanced subset that ships inside this package. It prints which
one it used.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

BUNDLED_DIR = Path(__file__).with_name("bundled")
MNIST_SOURCES = ("auto", "full", "download", "bundled")
DATASETS = ("mnist", "shakespeare", "spirals", "gaussian_mixture")
_RESTORE_HINT = (
    "Restore it with `git checkout -- course_utils/bundled` (or reinstall the course), "
    "or rebuild the bundle with `python scripts/build_bundled_data.py`."
)
_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_CACHE: dict[tuple, object] = {}


def data_dir() -> Path:
    """The course's data directory: ``$COURSE_DATA_DIR`` or ``~/.cache/course_data``."""
    return Path(os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "course_data").expanduser()


def offline() -> bool:
    """True when ``COURSE_OFFLINE=1``: never try to download."""
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _check_size(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise ValueError(f"{name} must be a positive int or None, got {value!r}")


def bundled_file(relative: str) -> Path:
    """Path of a bundled file after checking it exists and matches its SHA-256 in ``MANIFEST.json``."""
    path = BUNDLED_DIR / relative
    manifest_path = BUNDLED_DIR / "MANIFEST.json"
    for p in (manifest_path, path):
        if not p.is_file():
            raise FileNotFoundError(f"bundled data file {p} is missing. {_RESTORE_HINT}")
    expected = json.loads(manifest_path.read_text()).get(relative)
    if expected is None:
        raise FileNotFoundError(f"{relative} is not listed in {manifest_path}. {_RESTORE_HINT}")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise OSError(f"bundled data file {path} is corrupted (SHA-256 {actual[:12]}... expected {expected[:12]}...). {_RESTORE_HINT}")
    return path


def _bundled_mnist_root() -> Path:
    """Decompress the verified bundled subset into ``<data dir>/bundled_mnist/MNIST/raw`` and return its root."""
    root = data_dir() / "bundled_mnist"
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in _MNIST_FILES:
        src = bundled_file(f"mnist_subset/{name}.gz")
        stamp = raw / f"{name}.sha256"
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        if not (raw / name).is_file() or not stamp.is_file() or stamp.read_text() != digest:
            with gzip.open(src) as fin, open(raw / name, "wb") as fout:
                shutil.copyfileobj(fin, fout)
            stamp.write_text(digest)
    return root


def _has_mnist(root: Path) -> bool:
    return all((root / "MNIST" / "raw" / f).is_file() for f in _MNIST_FILES)


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
    _check_size("n", n)
    key = ("mnist", train, source, str(data_dir()))
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


class CharCorpus:
    """A character-level corpus with ``encode``/``decode`` (Shakespeare by default)."""

    def __init__(self, text: str | None = None) -> None:
        if text is None:
            text = gzip.decompress(bundled_file("shakespeare.txt.gz").read_bytes()).decode("ascii")
        if not text:
            raise ValueError("the corpus text is empty")
        self.text = text
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> torch.Tensor:
        """Characters to a 1-D int64 tensor of token ids."""
        unknown = sorted(set(s) - self.stoi.keys())
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown!r}")
        return torch.tensor([self.stoi[c] for c in s], dtype=torch.long)

    def decode(self, ids) -> str:
        """Token ids (tensor or list) back to a string."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        return "".join(self.itos[int(i)] for i in ids)

    def splits(self, val_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoded corpus cut into train and validation parts (the last ``val_fraction``)."""
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
        data = self.encode(self.text)
        cut = int(len(data) * (1.0 - val_fraction))
        return data[:cut], data[cut:]

    @staticmethod
    def get_batch(
        data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows: inputs ``(batch, block)`` and targets shifted by one character."""
        _check_size("block_size", block_size)
        _check_size("batch_size", batch_size)
        if len(data) <= block_size:
            raise ValueError(f"data has {len(data)} tokens, fewer than block_size + 1 = {block_size + 1}")
        starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
        idx = starts[:, None] + torch.arange(block_size + 1)
        windows = data[idx]
        return windows[:, :-1], windows[:, 1:]


def make_spirals(
    n: int, n_classes: int = 2, noise: float = 0.2, turns: float = 1.5, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points on ``n_classes`` interleaved spiral arms in 2-D, with Gaussian noise."""
    _check_size("n", n)
    _check_size("n_classes", n_classes)
    y = torch.arange(n) % n_classes
    t = torch.rand(n, generator=generator)
    r = 0.2 + 2.0 * t
    angle = 2 * torch.pi * (turns * t + y / n_classes)
    x = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
    return x + noise * torch.randn(n, 2, generator=generator), y


def make_gaussian_mixture(
    n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.05, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points from ``n_modes`` equal Gaussians on a circle (the GAN mode-collapse benchmark); returns points and mode ids."""
    _check_size("n", n)
    _check_size("n_modes", n_modes)
    modes = torch.randint(n_modes, (n,), generator=generator)
    angle = 2 * torch.pi * modes / n_modes
    centres = radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    return centres + std * torch.randn(n, 2, generator=generator), modes


def load_dataset(name: str, n: int | None = None, **kwargs):
    """One entry point by name: "mnist" (tensors), "shakespeare" (a ``CharCorpus``), "spirals", "gaussian_mixture"."""
    _check_size("n", n)
    if name == "mnist":
        return mnist_tensors(n=n, **kwargs)
    if name == "shakespeare":
        corpus = CharCorpus(**kwargs)
        return corpus if n is None else CharCorpus(corpus.text[:n])
    if name in ("spirals", "gaussian_mixture"):
        maker = make_spirals if name == "spirals" else make_gaussian_mixture
        return maker(1000 if n is None else n, **kwargs)
    raise ValueError(f"unknown dataset {name!r}; valid choices: {', '.join(DATASETS)}")


class TensorBatches:
    """Mini-batches over in-memory tensors, reshuffled each pass; far faster than a ``DataLoader`` here.

    >>> batches = TensorBatches(x, y, batch_size=128, shuffle=True, seed=0)
    >>> for xb, yb in batches: ...
    """

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | None = None,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        if not tensors:
            raise ValueError("TensorBatches needs at least one tensor")
        if len({len(t) for t in tensors}) != 1:
            raise ValueError(f"all tensors must have the same first dimension, got {[len(t) for t in tensors]}")
        _check_size("batch_size", batch_size)
        self.tensors = tuple(t.to(device) if device is not None else t for t in tensors)
        self.batch_size, self.shuffle, self.drop_last, self.transform = batch_size, shuffle, drop_last, transform
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.tensors[0])
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = len(self.tensors[0])
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        order = order.to(self.tensors[0].device)
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            batch = tuple(t[idx] for t in self.tensors)
            if self.transform is not None:
                batch = (self.transform(batch[0]),) + batch[1:]
            yield batch

    def forever(self) -> Iterator[tuple[torch.Tensor, ...]]:
        """Pass after pass, reshuffled each time: for loops counted in steps rather than epochs."""
        while True:
            yield from self
