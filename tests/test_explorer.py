"""cu.explore: the static figure first, controls that redraw it in place, and never an Output widget
(the source of the headless hangs described in course_utils/explorer.py)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import course_utils as cu
from course_utils import explorer


def _draw(scale: float = 1.0, label: str = "a"):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, scale], label=label)
    return fig


class _Handle:
    def __init__(self):
        self.updates = []

    def update(self, obj):
        self.updates.append(obj)


@pytest.fixture
def shown(monkeypatch):
    seen = []

    def fake_display(obj, display_id=False):
        seen.append(obj)
        return _Handle() if display_id else None

    monkeypatch.setattr("IPython.display.display", fake_display)
    return seen


def test_static_figure_first_then_controls_that_redraw_it(shown):
    calls = []

    def draw(scale: float = 1.0, label: str = "a"):
        calls.append((scale, label))
        return _draw(scale, label)

    ex = cu.explore(draw, lambda w: {"scale": w.FloatSlider(value=1.0, min=0, max=2)})
    assert calls == [(1.0, "a")] and hasattr(shown[0], "savefig")
    assert type(shown[1]).__name__ == "VBox" and "Output" not in repr(shown[1])
    ex.widgets["scale"].value = 1.5  # what a reader moving the slider does
    assert calls[-1] == (1.5, "a") and len(ex.handle.updates) == 1 and hasattr(ex.handle.updates[0], "savefig")


def test_without_controls_or_ipywidgets_only_the_figure(shown, monkeypatch, capsys):
    assert cu.explore(_draw).widgets == {} and len(shown) == 1
    monkeypatch.setitem(__import__("sys").modules, "ipywidgets", None)  # import fails
    ex = cu.explore(_draw, lambda w: {"scale": w.FloatSlider()})
    assert ex.widgets == {} and "need ipywidgets" in capsys.readouterr().out


def test_clear_errors(shown):
    with pytest.raises(TypeError, match="must return a matplotlib Figure"):
        cu.explore(lambda scale=1.0: plt.show())
    with pytest.raises(TypeError, match=r"controls name \['speed'\]"):
        cu.explore(_draw, lambda w: {"speed": w.FloatSlider()})


def test_the_module_uses_no_output_widget_or_interact():
    source = open(explorer.__file__).read().split('"""', 2)[2]  # the code, not the docstring that explains why
    assert "Output(" not in source and "interact" not in source
