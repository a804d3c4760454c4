"""Shared helpers for the course notebooks: seeding and devices, data, the fit loop, plots and checks."""

from .checks import assert_close, check_claim, check_exercise, check_finite
from .data import (
    CharCorpus,
    TensorBatches,
    data_dir,
    load_dataset,
    load_mnist,
    make_gaussian_mixture,
    make_spirals,
    mnist_tensors,
)
from .plotting import plot_curves, plot_distributions, plot_history, plot_schedule, show_images
from .reproducibility import describe_device, get_device, quick_mode, seed_everything
from .training import EarlyStopping, History, accuracy, evaluate, fit, grad_norm

__version__ = "0.1.0"
__all__ = [
    "CharCorpus",
    "EarlyStopping",
    "History",
    "TensorBatches",
    "accuracy",
    "assert_close",
    "check_claim",
    "check_exercise",
    "check_finite",
    "data_dir",
    "describe_device",
    "evaluate",
    "fit",
    "get_device",
    "grad_norm",
    "load_dataset",
    "load_mnist",
    "make_gaussian_mixture",
    "make_spirals",
    "mnist_tensors",
    "plot_curves",
    "plot_distributions",
    "plot_history",
    "plot_schedule",
    "quick_mode",
    "seed_everything",
    "show_images",
]
