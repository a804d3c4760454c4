"""The sample-quality metric: matrix square root, Fréchet distance, the shipped classifier."""

import json
import shutil

import pytest
import torch

import course_utils as cu
from course_utils import bundle, sample_quality


def _random_psd(d: int, seed: int) -> torch.Tensor:
    a = torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return a @ a.T + 0.1 * torch.eye(d, dtype=torch.float64)


def test_sqrtm_psd_squares_back_and_is_symmetric():
    a = _random_psd(8, 0)
    root = cu.sqrtm_psd(a)
    torch.testing.assert_close(root @ root, a)
    torch.testing.assert_close(root, root.T)
    b = _random_psd(5, 1)
    torch.testing.assert_close(cu.sqrtm_psd(b @ b), b)  # the PSD root of B^2 is B
    with pytest.raises(ValueError, match="square"):
        cu.sqrtm_psd(torch.ones(2, 3))


def test_frechet_distance_matches_the_closed_form_for_diagonal_covariances():
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64), torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64)
    v1, v2 = torch.tensor([1.0, 4.0, 9.0], dtype=torch.float64), torch.tensor([4.0, 1.0, 9.0], dtype=torch.float64)
    a, b = cu.FeatureStats(mu1, torch.diag(v1), 10), cu.FeatureStats(mu2, torch.diag(v2), 10)
    expected = ((mu1 - mu2) ** 2).sum() + ((v1.sqrt() - v2.sqrt()) ** 2).sum()  # 5 + 2
    assert cu.frechet_distance(a, b) == pytest.approx(expected.item(), abs=1e-9)
    assert cu.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert cu.frechet_distance(a, b) == pytest.approx(cu.frechet_distance(b, a), abs=1e-9)
    with pytest.raises(ValueError, match="feature sizes differ"):
        cu.frechet_distance(a, cu.FeatureStats(mu1[:2], torch.eye(2), 2))


def test_frechet_distance_of_general_gaussians_against_scipy_free_formula():
    # For S_b = c^2 S_a the cross term is c * S_a, so FD = |dmu|^2 + (1 - c)^2 Tr(S_a).
    s = _random_psd(6, 2)
    a, b = cu.FeatureStats(torch.zeros(6, dtype=torch.float64), s, 10), cu.FeatureStats(torch.ones(6, dtype=torch.float64), 9 * s, 10)
    assert cu.frechet_distance(a, b) == pytest.approx(6 + 4 * torch.trace(s).item(), rel=1e-9)


def test_feature_stats_needs_two_rows():
    stats = cu.feature_stats(torch.randn(50, 3))
    assert stats.mean.shape == (3,) and stats.cov.shape == (3, 3) and stats.n == 50
    with pytest.raises(ValueError, match="at least two"):
        cu.feature_stats(torch.randn(1, 3))


def test_classifier_shape_checks():
    net = cu.MnistClassifier()
    assert sum(p.numel() for p in net.parameters()) < 100_000
    assert net(torch.rand(3, 1, 28, 28)).shape == (3, 10) and net.features(torch.rand(3, 1, 28, 28)).shape == (3, 64)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        net.features(torch.rand(3, 28, 28))
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        cu.classifier_features(net, torch.rand(3, 1, 28, 28) * 2 - 1)
    with pytest.raises(ValueError, match="expected a tensor"):
        cu.class_report(net, torch.rand(3, 784))


def test_shipped_classifier_is_accurate_and_scores_real_digits_as_real(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    net = cu.load_mnist_classifier()
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    info = cu.classifier_info()
    assert info["test_accuracy"] >= 0.99 and info["parameters"] == sum(p.numel() for p in net.parameters())
    x, y = cu.mnist_tensors(train=False, verbose=False)
    assert cu.accuracy(net, x[:500], y[:500]) > 0.97
    report = cu.class_report(net, x[:500])
    assert report.digits_covered == 10 and report.mean_confidence > 0.9 and "digits covered 10/10" in str(report)
    xt, _ = cu.mnist_tensors(train=True, n=500, verbose=False)
    real = cu.mnist_frechet_distance(x[:500], xt)
    noise = cu.mnist_frechet_distance(torch.rand(500, 1, 28, 28), cu.feature_stats(cu.classifier_features(net, xt)))
    assert noise > 20 * real


@pytest.fixture
def bundle_copy(tmp_path, monkeypatch):
    copy = tmp_path / "bundled"
    shutil.copytree(bundle.BUNDLED_DIR, copy)
    monkeypatch.setattr(bundle, "BUNDLED_DIR", copy)
    monkeypatch.setattr(sample_quality, "_MODEL_CACHE", {})
    return copy


def test_missing_or_corrupt_weights_name_the_file_and_the_fix(bundle_copy):
    weights = bundle_copy / sample_quality.WEIGHTS_FILE
    good = weights.read_bytes()
    weights.write_bytes(good[:-4] + b"oops")
    with pytest.raises(OSError, match="mnist_classifier.pt is corrupted.*git checkout"):
        cu.load_mnist_classifier()
    weights.unlink()
    with pytest.raises(FileNotFoundError, match="mnist_classifier.pt is missing"):
        cu.load_mnist_classifier()


def test_weights_that_do_not_fit_the_architecture_say_retrain(bundle_copy):
    import hashlib
    import io

    buffer = io.BytesIO()
    torch.save({"head.weight": torch.zeros(3, 3)}, buffer)
    (bundle_copy / sample_quality.WEIGHTS_FILE).write_bytes(buffer.getvalue())
    manifest = json.loads((bundle_copy / "MANIFEST.json").read_text())
    manifest[sample_quality.WEIGHTS_FILE] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (bundle_copy / "MANIFEST.json").write_text(json.dumps(manifest))
    with pytest.raises(RuntimeError, match="train_mnist_classifier.py"):
        cu.load_mnist_classifier()


def test_feature_stats_warn_when_too_few_vectors_for_a_frechet_distance():
    import warnings

    g = torch.Generator().manual_seed(0)
    for n in (2, 5, 127):
        with pytest.warns(UserWarning, match=rf"N={n} vectors of 64 features.*below N = 2d = 128.*biased upward"):
            cu.frechet_distance(cu.feature_stats(torch.randn(n, 64, generator=g)), cu.feature_stats(torch.randn(n, 64, generator=g)))
    with pytest.warns(UserWarning, match="singular"):
        cu.feature_stats(torch.randn(64, 64, generator=g))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cu.feature_stats(torch.randn(128, 64, generator=g))  # 2d vectors: no warning
