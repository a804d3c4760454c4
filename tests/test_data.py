import gzip
import shutil
import urllib.error

import pytest
import torch

import course_utils as cu
from course_utils import bundle, mnist


@pytest.fixture
def fresh_dir(tmp_path, monkeypatch):
    """An empty data directory, online mode (downloads are stubbed by each test)."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    mnist._CACHE.clear()
    yield tmp_path / "data"
    mnist._CACHE.clear()


def test_bundled_subset_is_balanced_and_read_by_torchvision(capsys, monkeypatch, fresh_dir):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    ds = cu.load_mnist(train=False)
    assert "bundled subset" in capsys.readouterr().out
    assert len(ds) == 2000 and torch.bincount(ds.targets).tolist() == [200] * 10
    image, label = ds[0]
    assert image.size == (28, 28) and isinstance(label, int)
    x, y = cu.mnist_tensors(train=True, verbose=False)
    assert x.shape == (10000, 1, 28, 28) and x.dtype == torch.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert torch.bincount(y).tolist() == [1000] * 10


def test_mnist_tensors_subset_and_cache(capsys, monkeypatch, fresh_dir):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    x1, y1 = cu.mnist_tensors(train=False, n=100)
    x2, y2 = cu.mnist_tensors(train=False, n=100)
    assert "from memory" in capsys.readouterr().out
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and len(y1) == 100
    with pytest.raises(ValueError, match="larger than"):
        cu.mnist_tensors(train=False, n=10**6)
    with pytest.raises(ValueError, match="positive int"):
        cu.mnist_tensors(train=False, n=-5)


def test_download_failure_falls_back_with_notice(capsys, monkeypatch, fresh_dir):
    def no_network(root):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(mnist, "_download_mnist", no_network)
    ds = cu.load_mnist(train=False)
    assert len(ds) == 2000
    assert "download failed (URLError); using the bundled subset" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="download failed.*source='bundled'"):
        cu.load_mnist(source="download")


def test_successful_download_is_used(capsys, monkeypatch, fresh_dir):
    def fake_download(root):  # stands in for torchvision's download: puts raw files in place
        raw = root / "MNIST" / "raw"
        raw.mkdir(parents=True)
        for name in mnist._MNIST_FILES:
            with gzip.open(bundle.BUNDLED_DIR / "mnist_subset" / f"{name}.gz") as f, open(raw / name, "wb") as out:
                shutil.copyfileobj(f, out)

    monkeypatch.setattr(mnist, "_download_mnist", fake_download)
    monkeypatch.setattr(mnist, "verify_full_copy", lambda root: None)  # the stand-in files are not MNIST's
    cu.load_mnist(train=True)
    assert "downloaded to" in capsys.readouterr().out
    cu.load_mnist(train=True, source="full")  # now a local copy exists
    assert "using the copy in" in capsys.readouterr().out


def test_download_goes_through_torchvision(monkeypatch, fresh_dir):
    calls = []
    monkeypatch.setattr("torchvision.datasets.MNIST", lambda root, train, download: calls.append((root, download)))
    mnist._download_mnist(fresh_dir)
    assert calls == [(fresh_dir, True)]


def test_bad_source_and_missing_full_copy(fresh_dir):
    with pytest.raises(ValueError, match="valid choices: auto, full, download, bundled"):
        cu.load_mnist(source="kaggle")
    with pytest.raises(FileNotFoundError, match="COURSE_DATA_DIR"):
        cu.load_mnist(source="full")


@pytest.fixture
def bundle_copy(tmp_path, monkeypatch):
    copy = tmp_path / "bundled"
    shutil.copytree(bundle.BUNDLED_DIR, copy)
    monkeypatch.setattr(bundle, "BUNDLED_DIR", copy)
    return copy


def test_corrupted_bundled_file_names_file_and_fix(bundle_copy, fresh_dir):
    target = bundle_copy / "mnist_subset" / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(OSError, match="t10k-labels-idx1-ubyte.gz is corrupted.*git checkout"):
        cu.load_mnist(train=False, source="bundled")


def test_missing_bundled_file_names_file_and_fix(bundle_copy):
    (bundle_copy / "shakespeare.txt.gz").unlink()
    with pytest.raises(FileNotFoundError, match="shakespeare.txt.gz is missing.*build_bundled_data"):
        cu.CharCorpus()
    (bundle_copy / "extra.gz").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="extra.gz is not listed"):
        bundle.bundled_file("extra.gz")


def test_char_corpus_roundtrip_and_batches():
    corpus = cu.CharCorpus()
    assert corpus.text.startswith("HAMLET") and len(corpus.text) > 1_000_000 and corpus.vocab_size == len(corpus.chars)
    ids = corpus.encode("To be, or not to be")
    assert corpus.decode(ids) == "To be, or not to be" and corpus.decode(ids.tolist()) == "To be, or not to be"
    train, val = corpus.splits(0.1)
    assert len(train) + len(val) == len(corpus.text) and abs(len(val) / len(corpus.text) - 0.1) < 1e-3
    x, y = cu.CharCorpus.get_batch(train, block_size=16, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 16) and torch.equal(x[:, 1:], y[:, :-1])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        corpus.encode("\u00e9")
    with pytest.raises(ValueError, match="val_fraction"):
        corpus.splits(1.5)
    with pytest.raises(ValueError, match="fewer than block_size"):
        cu.CharCorpus.get_batch(train[:5], block_size=8, batch_size=2)
    with pytest.raises(ValueError, match="empty"):
        cu.CharCorpus("")


def test_synthetic_sets():
    x, y = cu.make_spirals(300, n_classes=3, generator=torch.Generator().manual_seed(0))
    assert x.shape == (300, 2) and torch.bincount(y).tolist() == [100, 100, 100]
    x, m = cu.make_gaussian_mixture(800, n_modes=8, std=0.01, generator=torch.Generator().manual_seed(0))
    assert x.shape == (800, 2) and m.max() == 7
    torch.testing.assert_close(x.norm(dim=1), torch.full((800,), 2.0), atol=0.05, rtol=0)


def test_tensor_batches():
    x, y = torch.arange(10.0).unsqueeze(1), torch.arange(10)
    batches = cu.TensorBatches(x, y, batch_size=4, shuffle=False)
    assert len(batches) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    assert len(cu.TensorBatches(x, y, batch_size=4, drop_last=True)) == 2
    a = [b[1].tolist() for b in cu.TensorBatches(x, y, batch_size=5, seed=1)]
    b = [b[1].tolist() for b in cu.TensorBatches(x, y, batch_size=5, seed=1)]
    assert a == b and sorted(sum(a, [])) == list(range(10))
    doubled = next(iter(cu.TensorBatches(x, y, batch_size=10, shuffle=False, transform=lambda t: 2 * t, device="cpu")))
    torch.testing.assert_close(doubled[0], 2 * x)
    endless = cu.TensorBatches(x, y, batch_size=4, seed=0).forever()
    labels = [next(endless)[1] for _ in range(6)]  # two passes of three batches
    assert sorted(torch.cat(labels[:3]).tolist()) == sorted(torch.cat(labels[3:]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="same first dimension"):
        cu.TensorBatches(x, y[:5], batch_size=2)
    with pytest.raises(ValueError, match="at least one tensor"):
        cu.TensorBatches(batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        cu.TensorBatches(x, batch_size=0)


def test_full_copy_is_verified_against_mnist_checksums(capsys, fresh_dir):
    raw = fresh_dir / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in mnist._MNIST_FILES:  # the bundled subset is not MNIST: its MD5 differs
        with gzip.open(bundle.BUNDLED_DIR / "mnist_subset" / f"{name}.gz") as f, open(raw / name, "wb") as out:
            shutil.copyfileobj(f, out)
    with pytest.raises(OSError, match="MD5 differs.*make full-data"):
        cu.load_mnist(train=False, source="full")


def test_full_copy_with_the_right_checksums_is_used(capsys, monkeypatch, fresh_dir):
    raw = fresh_dir / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in mnist._MNIST_FILES:
        with gzip.open(bundle.BUNDLED_DIR / "mnist_subset" / f"{name}.gz") as f, open(raw / name, "wb") as out:
            shutil.copyfileobj(f, out)
    import hashlib

    monkeypatch.setattr(mnist, "MNIST_MD5", {n: hashlib.md5((raw / n).read_bytes()).hexdigest() for n in mnist._MNIST_FILES})
    assert len(cu.load_mnist(train=False, source="full")) == 2000
    assert len(cu.load_mnist(train=False, source="full")) == 2000  # verified once, then remembered
    assert "using the copy in" in capsys.readouterr().out


def test_bundled_subset_is_decompressed_atomically(monkeypatch, fresh_dir):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    root = mnist._bundled_mnist_root()
    raw = root / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir() if p.name.startswith(".")) == []  # no temporary files left
    (raw / "t10k-labels-idx1-ubyte.sha256").write_text("stale")  # a stale stamp triggers a rewrite
    mnist._bundled_mnist_root()
    assert (raw / "t10k-labels-idx1-ubyte.sha256").read_text() != "stale"
