"""A sample-quality metric that needs no download: the course's own MNIST classifier and a
Fréchet distance in its feature space (the FID recipe of Heusel et al. 2017, with this
network in place of Inception).

The classifier is the light CNN of notebook 07 (under 100,000 parameters). Its weights are
trained by ``scripts/train_mnist_classifier.py`` and ship in ``course_utils/bundled/``, listed
with their SHA-256 in ``MANIFEST.json`` and verified on every load, like the data. Notebooks
09 (GANs) and 10 (VAEs) score their samples with it:

>>> net = load_mnist_classifier()
>>> fd = frechet_distance(feature_stats(classifier_features(net, fake)), feature_stats(classifier_features(net, real)))
>>> report = class_report(net, fake)     # which digits were generated, how confidently
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from .bundle import bundled_file

WEIGHTS_FILE = "mnist_classifier.pt"
INFO_FILE = "mnist_classifier.json"
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
_MODEL_CACHE: dict[str, nn.Module] = {}


def _conv_bn_relu(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class MnistClassifier(nn.Module):
    """The course's light MNIST CNN: four 3x3 conv-BN-ReLU layers (16, 32, 64, 64 channels) with a
    max-pool after the second and third, global average pooling to a 64-d feature vector, and one
    linear layer to the 10 logits: 61,050 parameters, about 9 million multiply-adds per image.

    Takes images ``(N, 1, 28, 28)`` in [0, 1]; normalizes them with MNIST's mean and std itself.
    ``features(x)`` returns the 64-d penultimate layer used by the Fréchet distance.
    """

    feature_dim = 64

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_bn_relu(1, 16),
            _conv_bn_relu(16, 32),
            nn.MaxPool2d(2),  # 28 -> 14
            _conv_bn_relu(32, 64),
            nn.MaxPool2d(2),  # 14 -> 7
            _conv_bn_relu(64, 64),
            nn.AdaptiveAvgPool2d(1),  # 7x7 -> 1x1
            nn.Flatten(),
        )
        self.head = nn.Linear(self.feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: ``(N, 64)`` non-negative features."""
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"expected images of shape (N, 1, 28, 28) in [0, 1], got {tuple(x.shape)}")
        return self.body((x - MNIST_MEAN) / MNIST_STD)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def classifier_info() -> dict:
    """What the shipped classifier is: parameters, data, recipe, validation and test accuracy."""
    return json.loads(bundled_file(INFO_FILE).read_text())


def load_mnist_classifier(device: torch.device | str | None = None) -> MnistClassifier:
    """The shipped, trained classifier in eval mode with frozen weights (verified against its SHA-256)."""
    key = str(device or "cpu")
    if key not in _MODEL_CACHE:
        path = bundled_file(WEIGHTS_FILE)  # raises with the fix if missing or corrupt
        model = MnistClassifier()
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
        except Exception as err:  # a file with the right hash but the wrong layout: the code changed
            raise RuntimeError(
                f"{path} does not fit MnistClassifier ({type(err).__name__}: {err}). "
                "Retrain it with `python scripts/train_mnist_classifier.py`."
            ) from err
        model.eval().requires_grad_(False)
        _MODEL_CACHE[key] = model.to(device or "cpu")
    return _MODEL_CACHE[key]


def _check_images(images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"expected a tensor of images (N, 1, 28, 28) with values in [0, 1], got {shape}")
    lo, hi = images.min().item(), images.max().item()
    if lo < -1e-3 or hi > 1 + 1e-3:
        raise ValueError(
            f"images must lie in [0, 1] (got min {lo:.3g}, max {hi:.3g}); a generator with tanh output gives [-1, 1]: pass (x + 1) / 2"
        )


@torch.no_grad()
def classifier_features(model: MnistClassifier, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Penultimate-layer features ``(N, 64)`` in float64 for images ``(N, 1, 28, 28)`` in [0, 1]."""
    _check_images(images)
    device = next(model.parameters()).device
    out = [model.features(images[i : i + batch_size].to(device, torch.float32)).double().cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out)


@dataclass
class FeatureStats:
    """Mean and covariance of a set of feature vectors (what the Fréchet distance compares)."""

    mean: torch.Tensor
    cov: torch.Tensor
    n: int


def feature_stats(features: torch.Tensor) -> FeatureStats:
    """Mean and unbiased covariance (float64) of ``features`` ``(N, d)``; needs N >= 2, warns when N < 2d.

    With few vectors the covariance is a poor estimate (rank at most N - 1: singular when N <= d), and the
    Fréchet distance computed from it is biased upward by roughly 1/N: between two sets of 2 real MNIST digits
    it is about 75 in the course classifier's 64 features, 3 with 64 digits, 1 with 128 and 0.14 with 1,000.
    """
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need at least two feature vectors of shape (N, d), got {tuple(features.shape)}")
    n, d = features.shape
    if n < 2 * d:
        warnings.warn(
            f"feature statistics from N={n} vectors of {d} features: the covariance is a poor estimate below N = 2d = {2 * d} "
            f"({'singular, ' if n <= d else ''}rank at most N - 1 = {n - 1}), so a Fréchet distance computed from it is biased "
            "upward (roughly as 1/N). Use more images, and compare distances only between sets of the same size.",
            UserWarning,
            stacklevel=2,
        )
    f = features.double()
    return FeatureStats(f.mean(0), torch.cov(f.T).reshape(f.shape[1], f.shape[1]), len(f))


def sqrtm_psd(a: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix, by eigendecomposition.

    Negative eigenvalues from round-off are clipped to zero.
    """
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {tuple(a.shape)}")
    sym = (a + a.T) / 2
    eigvals, eigvecs = torch.linalg.eigh(sym)
    return (eigvecs * eigvals.clamp_min(0).sqrt()) @ eigvecs.T


def frechet_distance(a: FeatureStats, b: FeatureStats) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets:

    ``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``.

    The trace of ``(S_a S_b)^(1/2)`` is computed as the trace of the symmetric matrix
    ``(S_a^(1/2) S_b S_a^(1/2))^(1/2)``, which has the same eigenvalues and is stable.
    """
    if a.mean.shape != b.mean.shape:
        raise ValueError(f"feature sizes differ: {tuple(a.mean.shape)} vs {tuple(b.mean.shape)}")
    root_a = sqrtm_psd(a.cov.double())
    middle = root_a @ b.cov.double() @ root_a
    tr_cross = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    diff = a.mean.double() - b.mean.double()
    value = diff @ diff + torch.trace(a.cov.double()) + torch.trace(b.cov.double()) - 2 * tr_cross
    return max(value.item(), 0.0)


def mnist_frechet_distance(images: torch.Tensor, reference: torch.Tensor | FeatureStats, model: MnistClassifier | None = None) -> float:
    """Fréchet distance between ``images`` and ``reference`` (images or precomputed ``FeatureStats``),
    in the feature space of the course's MNIST classifier. Both image sets in [0, 1]."""
    model = model or load_mnist_classifier()
    ref = reference if isinstance(reference, FeatureStats) else feature_stats(classifier_features(model, reference))
    return frechet_distance(feature_stats(classifier_features(model, images)), ref)


@dataclass
class ClassReport:
    """What the classifier sees in a set of images: how many of each digit, and how sure it is."""

    counts: torch.Tensor  # (10,) predicted-class histogram
    mean_confidence: float  # mean of the top softmax probability
    digits_covered: int  # classes holding at least ``min_share`` of the images

    def __str__(self) -> str:
        return f"digits covered {self.digits_covered}/10, mean confidence {self.mean_confidence:.3f}, counts {self.counts.tolist()}"


@torch.no_grad()
def class_report(model: MnistClassifier, images: torch.Tensor, min_share: float = 0.02, batch_size: int = 1000) -> ClassReport:
    """The predicted-class histogram and mean top-class confidence of ``images`` (in [0, 1]).

    A digit counts as covered when at least ``min_share`` of the images are predicted as it
    (2% by default, a fifth of a balanced share).
    """
    _check_images(images)
    device = next(model.parameters()).device
    probs = torch.cat(
        [model(images[i : i + batch_size].to(device, torch.float32)).softmax(1).cpu() for i in range(0, len(images), batch_size)]
    )
    conf, pred = probs.max(1)
    counts = torch.bincount(pred, minlength=10)
    covered = int((counts >= min_share * len(images)).sum())
    return ClassReport(counts, conf.mean().item(), covered)
