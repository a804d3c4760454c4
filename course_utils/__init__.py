"""Shared helpers for the course notebooks: seeding and devices, data, the fit loop, plots, checks
and the sample-quality metric.

One module a concern: ``reproducibility`` (seeds, devices, quick mode), ``bundle`` (the data
directory and the verified files shipped in ``bundled/``), ``mnist``, ``text`` (the Shakespeare
corpus), ``synthetic`` (toy 2-D sets), ``batches`` (in-memory mini-batches), ``training`` (fit,
evaluate, early stopping), ``plotting``, ``explorer`` (figures with sliders that also run headless),
``checks`` (claims and exercises), ``parameters`` (a notebook's parameters, checked in its setup
cell), ``sample_quality`` (the course's MNIST classifier and a Fréchet distance in its feature space)
and ``distributed`` (torchrun launches, imported on its own: ``from course_utils import distributed``).
"""

from . import references as references  # the exercises' reference answers: cu.references.<name>
from .batches import TensorBatches
from .bundle import data_dir
from .checks import Claim, assert_close, check_claim, check_exercise, check_finite, from_scratch
from .explorer import Explorer, explore
from .mnist import load_mnist, mnist_heldout, mnist_tensors
from .parameters import Param, check_parameters
from .plotting import plot_curves, plot_distributions, plot_history, plot_schedule, show_images
from .reproducibility import cpu_flags, cpu_name, describe_device, get_device, quick_mode, seed_everything, strict_warnings
from .sample_quality import (
    ClassReport,
    FeatureStats,
    MnistClassifier,
    class_report,
    classifier_features,
    classifier_info,
    feature_stats,
    frechet_distance,
    load_mnist_classifier,
    mnist_frechet_distance,
    sqrtm_psd,
)
from .synthetic import make_gaussian_mixture, make_spirals
from .text import CharCorpus
from .training import EarlyStopping, History, accuracy, evaluate, fit

__version__ = "0.1.0"
if __import__("os").environ.get("COURSE_STRICT_WARNINGS", "") == "1":  # set by the test run
    strict_warnings()
__all__ = [
    "CharCorpus",
    "Claim",
    "ClassReport",
    "EarlyStopping",
    "Explorer",
    "FeatureStats",
    "History",
    "MnistClassifier",
    "Param",
    "TensorBatches",
    "accuracy",
    "assert_close",
    "check_claim",
    "check_exercise",
    "check_finite",
    "check_parameters",
    "class_report",
    "classifier_features",
    "classifier_info",
    "data_dir",
    "cpu_flags",
    "cpu_name",
    "describe_device",
    "evaluate",
    "explore",
    "feature_stats",
    "fit",
    "frechet_distance",
    "from_scratch",
    "get_device",
    "load_mnist",
    "load_mnist_classifier",
    "make_gaussian_mixture",
    "make_spirals",
    "mnist_frechet_distance",
    "mnist_heldout",
    "mnist_tensors",
    "plot_curves",
    "plot_distributions",
    "plot_history",
    "plot_schedule",
    "quick_mode",
    "seed_everything",
    "show_images",
    "sqrtm_psd",
    "strict_warnings",
]
