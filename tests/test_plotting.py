import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import course_utils as cu  # noqa: E402


def teardown_function():
    plt.close("all")


def test_plot_curves_with_bands_and_log_axes():
    ax = cu.plot_curves(
        {"a": np.random.rand(3, 10), "b": torch.rand(10)}, title="T", xlabel="step", ylabel="loss (nats)", logy=True, logx=True
    )
    assert ax.get_title() == "T" and ax.get_xlabel() == "step" and ax.get_ylabel() == "loss (nats)"
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log" and len(ax.collections) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a (mean of 3)", "b"]
    single = cu.plot_curves({"one run": np.random.rand(1, 10)}, title="T", xlabel="step", ylabel="loss")
    assert len(single.collections) == 0 and len(single.lines) == 1


def test_plot_history_and_schedule():
    h = cu.History(epoch=[0, 1], train_loss=[1.0, 0.5], val_loss=[1.1, 0.7], lr=[0.1, 0.05], train_acc=[0.5, 0.7], val_acc=[0.4, 0.6])
    axes = cu.plot_history(h, title="Run")
    assert axes[0].get_title() == "Run: loss" and axes[1].get_ylabel() == "learning rate"
    assert cu.plot_history(h, metric="acc")[0].get_ylabel() == "accuracy (fraction)"
    ax = cu.plot_schedule({"cosine": [1.0, 0.5, 0.0]})
    assert ax.get_ylabel() == "learning rate" and ax.get_title() == "Learning-rate schedules"


def test_show_images_and_distributions():
    axes = cu.show_images(torch.rand(10, 1, 8, 8), labels=list(range(10)), title="Digits", nrow=4)
    assert axes.shape == (3, 4) and axes[0, 0].get_title() == "0"
    assert cu.show_images(torch.rand(3, 8, 8), title="no labels").shape == (1, 8)
    ax = cu.plot_distributions({"before": torch.randn(200), "after": np.random.randn(200)}, title="D", xlabel="activation")
    assert ax.get_title() == "D" and ax.get_ylabel() == "density" and ax.get_legend() is not None
