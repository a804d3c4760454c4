import gzip
import os
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
    monkeypatch.setattr(mnist, "_DOWNLOAD_FAILED", [])  # no failed download earlier in this "session"
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


def test_mnist_heldout_is_disjoint_from_the_subset(monkeypatch, fresh_dir):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    x_all, _ = cu.mnist_tensors(train=True, verbose=False)
    x_sub, _ = cu.mnist_tensors(train=True, n=4000, verbose=False)
    x_val, y_val = cu.mnist_heldout(4000, 2000, verbose=False)
    assert len(y_val) == 2000 and torch.equal(x_val, cu.mnist_heldout(4000, 2000, verbose=False)[0])
    # disjoint from the training subset, and both drawn from the training split
    rows = lambda x: {bytes(r.numpy().tobytes()) for r in x.flatten(1).mul(255).round().to(torch.uint8)}
    sub, val, every = rows(x_sub), rows(x_val), rows(x_all)
    assert not sub & val and (sub | val) <= every
    with pytest.raises(ValueError, match="more than the 10,000"):
        cu.mnist_heldout(9000, 2000, verbose=False)
    with pytest.raises(ValueError, match="positive int"):
        cu.mnist_heldout(4000, 0, verbose=False)


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


def test_damaged_extracted_files_are_decompressed_again(capsys, monkeypatch, fresh_dir):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    expected = cu.load_mnist(train=False, verbose=False).targets.clone()
    raw = fresh_dir / "bundled_mnist" / "MNIST" / "raw"
    labels = raw / "t10k-labels-idx1-ubyte"
    changed = bytearray(labels.read_bytes())
    changed[8] = (changed[8] + 1) % 10  # one label changed in place: the digest stamp still matches the archive
    labels.write_bytes(bytes(changed))
    assert torch.equal(cu.load_mnist(train=False, verbose=False).targets, expected)
    assert "t10k-labels-idx1-ubyte was damaged" in capsys.readouterr().out
    images = raw / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:99_984])  # a truncated file: torchvision would fail on every later run
    assert len(cu.load_mnist(train=False, verbose=False)) == 2000
    assert torch.equal(cu.mnist_tensors(train=False, verbose=False)[1], expected)


def test_split_is_a_bool_or_its_name(monkeypatch, fresh_dir):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert len(cu.load_mnist(train="test", verbose=False)) == 2000
    assert len(cu.load_mnist(train="train", verbose=False)) == 10_000
    assert len(cu.mnist_tensors(train="test", verbose=False)[1]) == 2000
    for bad in ("val", "Test", 1, None):
        with pytest.raises(ValueError, match=r"train must be True, False, 'train' or 'test'"):
            cu.load_mnist(train=bad)
    with pytest.raises(ValueError, match="train must be"):
        cu.mnist_tensors(train=0)


def test_data_dir_that_is_a_file_or_cannot_be_used(monkeypatch, tmp_path, fresh_dir):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    monkeypatch.setenv("COURSE_DATA_DIR", str(a_file))
    with pytest.raises(NotADirectoryError, match="COURSE_DATA_DIR=.*notes.txt' is a file, not a folder: set COURSE_DATA_DIR"):
        cu.load_mnist(train=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(a_file / "data"))  # below a file: it cannot be created
    with pytest.raises(NotADirectoryError, match="COURSE_DATA_DIR=.*cannot create the folder.*set COURSE_DATA_DIR"):
        cu.load_mnist(train=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(fresh_dir))
    fresh_dir.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if mode & os.W_OK else real_access(path, mode))  # read-only
    with pytest.raises(PermissionError, match="COURSE_DATA_DIR=.* is read-only.*chmod u\\+w"):
        cu.load_mnist(train=False)
    monkeypatch.setattr(os, "access", real_access)
    cu.load_mnist(train=False, verbose=False)  # extracted once...
    monkeypatch.setattr(os, "access", lambda path, mode: False if mode & os.W_OK else real_access(path, mode))
    assert len(cu.load_mnist(train=False, verbose=False)) == 2000  # ...then read from a read-only folder
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # unreadable
    with pytest.raises(PermissionError, match="COURSE_DATA_DIR=.* cannot be read.*chmod u\\+rx"):
        cu.load_mnist(train=False)


def test_invalid_manifest_names_the_file_and_the_fix(bundle_copy):
    manifest = bundle_copy / "MANIFEST.json"
    manifest.write_text('{"shakespeare.txt.gz": ')
    with pytest.raises(OSError, match=r"MANIFEST.json is not valid JSON \(.*\)\. Restore it with `git checkout"):
        bundle.bundled_file("shakespeare.txt.gz")
    manifest.write_text("[1, 2]")
    with pytest.raises(OSError, match="MANIFEST.json should map file names to SHA-256 digests, not hold a list"):
        bundle.bundled_file("shakespeare.txt.gz")


def test_a_failed_download_is_tried_once_a_session(capsys, monkeypatch, fresh_dir):
    calls = []

    def hanging_network(root):
        calls.append(root)
        raise TimeoutError("timed out")

    monkeypatch.setattr(mnist, "_download_mnist", hanging_network)
    cu.load_mnist(train=True)
    first = capsys.readouterr().out
    assert "download failed (TimeoutError); using the bundled subset" in first and "Set COURSE_OFFLINE=1" in first
    cu.load_mnist(train=False)  # the other split, and any later load: no second wait
    second = capsys.readouterr().out
    assert "no download (it failed earlier in this session: TimeoutError)" in second and "COURSE_OFFLINE=1" in second
    assert len(calls) == 1
    with pytest.raises(RuntimeError, match="download failed"):
        cu.load_mnist(source="download")  # asked for explicitly: tried again
    assert len(calls) == 2


def test_char_corpus_too_short_to_split():
    with pytest.raises(ValueError, match="leaves 0 for training and 1 for validation; each part needs at least 2"):
        cu.CharCorpus("a").splits()
    with pytest.raises(ValueError, match="leaves 19 for training and 1 for validation"):
        cu.CharCorpus("ab" * 10).splits(0.05)
    train, val = cu.CharCorpus("ab" * 10).splits(0.1)
    assert len(train) == 18 and len(val) == 2


def test_a_read_only_data_dir_online_is_not_reported_as_a_download_failure(capsys, monkeypatch, fresh_dir):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    cu.load_mnist(train=False, verbose=False)  # the bundled subset extracted while the folder was writable
    monkeypatch.delenv("COURSE_OFFLINE")
    mnist._CACHE.clear()
    monkeypatch.setattr(mnist, "_download_mnist", lambda folder: pytest.fail("no download may be tried into a read-only folder"))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if mode & os.W_OK else real_access(path, mode))
    assert len(cu.load_mnist(train=False)) == 2000
    out = capsys.readouterr().out
    assert "no download (" in out and "read-only" in out and "COURSE_OFFLINE" not in out and mnist._DOWNLOAD_FAILED == []
