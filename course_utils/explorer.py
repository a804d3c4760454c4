"""Figures with sliders that also run headless: :func:`explore`.

Why not ``ipywidgets.interact``: it draws into an ``Output`` widget, and a headless executor
(nbclient, so papermill, nbval and nbconvert) answers every output captured by an ``Output`` widget
by sending a comm message back on the shell channel while it is waiting on that channel for the
cell's reply. A send on a ZeroMQ socket consumes the socket's edge-triggered wake-up, so a reply that
arrives in that window is never noticed and the run waits until its cell timeout (measured here:
the cell after 02's explorer, its ``execute_reply`` sitting unread in the client's shell socket, and
the kernel idle). :func:`explore` uses no ``Output`` widget: the figure is a display with a display
id, which the controls update in place, so a headless run only ever receives ordinary messages.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Controls = Callable[[Any], dict[str, Any]]


@dataclass
class Explorer:
    """What :func:`explore` made: the figure's display handle, the controls by argument name, and ``redraw``."""

    handle: Any
    widgets: dict[str, Any] = field(default_factory=dict)
    redraw: Callable[..., None] | None = None

    def _ipython_display_(self) -> None:  # the last line of a cell shows nothing more than the figure and its controls
        pass


def explore(draw: Callable[..., Any], controls: Controls | None = None) -> Explorer:
    """Show ``draw()`` (with its default arguments) and, where ipywidgets is installed, controls that redraw it.

    ``draw(**values)`` returns a matplotlib ``Figure`` (it should not call ``plt.show()``).
    ``controls(ipywidgets)`` returns ``{argument name: widget}``; it is called only when ipywidgets can be
    imported, so a notebook needs no ``try: import ipywidgets``. Every headless run gets the static figure
    of the default arguments and returns at once. Returns an :class:`Explorer` (no widgets without
    ipywidgets), for tests and for readers who want to drive the figure from code.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    defaults = {name: p.default for name, p in inspect.signature(draw).parameters.items() if p.default is not inspect.Parameter.empty}
    fig = draw(**defaults)
    if fig is None or not hasattr(fig, "savefig"):
        raise TypeError(f"{getattr(draw, '__name__', 'draw')}() must return a matplotlib Figure (and not call plt.show())")
    handle = display(fig, display_id=True)
    plt.close(fig)
    state = Explorer(handle)
    if controls is None:
        return state
    try:
        import ipywidgets
    except ImportError:
        print("Controls need ipywidgets (`pip install ipywidgets`); the figure above shows the default settings.")
        return state
    widgets = controls(ipywidgets)
    unknown = set(widgets) - set(inspect.signature(draw).parameters)
    if unknown:
        raise TypeError(f"controls name {sorted(unknown)}, which {getattr(draw, '__name__', 'draw')}() does not take")

    def redraw(_change: object = None) -> None:
        new = draw(**{**defaults, **{name: w.value for name, w in widgets.items()}})
        if handle is not None:
            handle.update(new)
        plt.close(new)

    for w in widgets.values():
        w.observe(redraw, names="value")
    display(ipywidgets.VBox(list(widgets.values())))
    state.widgets, state.redraw = widgets, redraw
    return state
