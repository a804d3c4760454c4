"""Notebook parameters: ``cu.check_parameters`` itself, and every notebook's setup cell given bad values, run
cell by cell as papermill would run it (its parameters cell, papermill's injected cell, the setup cell)."""

import math
import re
from pathlib import Path

import papermill as pm
import pytest
from papermill.inspection import inspect_notebook
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

import course_utils as cu
from course_utils import Param

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_defaults_types_and_ranges():
    ns = {"SEED": 0, "EPOCHS": None, "N_TRAIN": None, "LR": 1, "GRID": (0.1, 0.2), "MODE": None, "TARGET": None}
    cu.check_parameters(
        ns,
        SEED=Param(int, low=0),
        EPOCHS=Param(int, low=1, default=4),
        N_TRAIN=Param(int, low=1, default=None),
        LR=Param(float, low=0.001, high=10.0),
        GRID=Param((tuple, list)),
        MODE=Param(str, default="eager"),
        TARGET=Param(float, low=0.1, high=1.0, default=None),
    )
    assert (ns["EPOCHS"], ns["N_TRAIN"], ns["MODE"], ns["GRID"], ns["TARGET"]) == (4, None, "eager", (0.1, 0.2), None)
    assert ns["LR"] == 1.0 and isinstance(ns["LR"], float)  # an int given for a float becomes a float


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "EPOCHS=0 is not allowed: use an int from 1 to 1,000, or None for the default (4)"),
        (-1, "EPOCHS=-1 is not allowed"),
        (1.5, "EPOCHS=1.5 is not allowed"),
        (True, "EPOCHS=True is not allowed"),
        ("3", "EPOCHS='3' is not allowed"),
        (1001, "EPOCHS=1001 is not allowed"),
        (10**400, "EPOCHS=1000000"),  # beyond a float's range: refused, not an OverflowError
    ],
)
def test_bad_values_name_the_parameter_and_the_value(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cu.check_parameters({"EPOCHS": value}, EPOCHS=Param(int, low=1, high=1000, default=4))


def test_none_floats_and_reasons():
    with pytest.raises(ValueError, match=re.escape("SEED=None is not allowed: use an int >= 0")):
        cu.check_parameters({"SEED": None}, SEED=Param(int, low=0))
    for bad in (math.nan, math.inf, 0.0):
        with pytest.raises(ValueError, match=r"LR=.* is not allowed: use a number from 0\.001 to 1\.0 \(a learning rate\)"):
            cu.check_parameters({"LR": bad}, LR=Param(float, low=0.001, high=1.0, why="a learning rate"))
    with pytest.raises(ValueError, match=re.escape("QUICK=1 is not allowed: use True or False")):
        cu.check_parameters({"QUICK": 1}, QUICK=Param(bool))
    with pytest.raises(ValueError) as err:  # every problem at once
        cu.check_parameters({"A": 0, "B": -1}, A=Param(int, low=1), B=Param(int, low=1))
    assert "A=0" in str(err.value) and "B=-1" in str(err.value)


def test_names_that_are_not_parameters_are_rejected_once():
    import math as a_module

    ns = {"In": [""], "Out": {}, "_i1": "x", "a_module": a_module, "cu": cu, "SEED": 0, "BATCH_SIZE": 64, "batch_size": 64}
    with pytest.raises(ValueError) as err:
        cu.check_parameters(ns, SEED=Param(int, low=0))
    text = str(err.value)
    assert "BATCH_SIZE=64 is not a parameter of this notebook (they are SEED): check the name" in text
    assert "batch_size=64 is not a parameter" in text and "In=" not in text and "a_module" not in text and "_i1" not in text
    del ns["BATCH_SIZE"], ns["batch_size"]
    cu.check_parameters(ns, SEED=Param(int, low=0))
    ns["DEFINED_LATER"] = 3  # a later cell's name: running the setup cell again is fine
    cu.check_parameters(ns, SEED=Param(int, low=0))
    with pytest.raises(KeyError, match="EPOCHS is in the parameter spec but not in the notebook"):
        cu.check_parameters({}, EPOCHS=Param(int))


def _setup_namespace(path: Path, parameters: dict, monkeypatch) -> dict:
    """Run the parameters cell, papermill's injected cell and the setup cell of ``path`` in a fresh namespace."""
    book = parameterize_notebook(load_notebook_node(str(path)), parameters, kernel_name="python3", language="python")
    code = [c for c in book.cells if c.cell_type == "code"]
    start = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    assert "injected-parameters" in code[start + 1].metadata.tags
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.chdir(path.parent)
    namespace: dict = {"__name__": "__main__"}
    try:
        for cell in code[: start + 3]:
            source = "\n".join(("# " + ln) if ln.lstrip().startswith(("%", "!")) else ln for ln in cell.source.splitlines())
            exec(compile(source, f"{path.name}:setup", "exec"), namespace)
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")
    return namespace


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_setup_cell_rejects_unknown_zero_and_negative_parameters(path, monkeypatch):
    with pytest.raises(ValueError, match="BATCH_SIZE=64 is not a parameter of this notebook"):
        _setup_namespace(path, {"BATCH_SIZE": 64}, monkeypatch)
    accepted = []
    for name in inspect_notebook(str(path)):
        for value in (0, -1) if name != "SEED" else (-1,):  # a seed of 0 is fine
            try:
                _setup_namespace(path, {name: value}, monkeypatch)
                accepted.append(f"{name}={value}")
            except ValueError as err:
                assert re.search(rf"\b{name}={value}(\.0)?\b", str(err)), f"{path.name}: the error does not name {name}={value}: {err}"
    assert not accepted, f"{path.name}: the setup cell accepts {accepted}"


def test_notebook_00_sizes(monkeypatch):
    path = NOTEBOOKS[0]
    for value in (1.5, 0, -1):  # 0 used to become the default quietly, -1 and 1.5 passed the setup cell
        with pytest.raises(ValueError, match=rf"EPOCHS={value} is not allowed: use an int >= 1, or None for the default \(2\)"):
            _setup_namespace(path, {"EPOCHS": value}, monkeypatch)
    with pytest.raises(ValueError, match=r"N_TRAIN=100000 is not allowed: .*the 10,000 training images .* leave at most 9,500"):
        _setup_namespace(path, {"N_TRAIN": 100_000}, monkeypatch)
    ns = _setup_namespace(path, {"EPOCHS": 3, "N_TRAIN": 2000, "LR_GRID": [0.1, 0.3]}, monkeypatch)
    assert (ns["EPOCHS"], ns["N_TRAIN"], ns["LR_GRID"]) == (3, 2000, [0.1, 0.3])
    assert _setup_namespace(path, {}, monkeypatch)["EPOCHS"] == 2  # None: the quick-mode default
    # full mode on the bundled subset holds out a fifth (2,000), as section 3 does: an explicit N_TRAIN fits beside it
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    assert _setup_namespace(path, {"QUICK": False, "N_TRAIN": 4000}, monkeypatch)["N_TRAIN"] == 4000
    with pytest.raises(ValueError, match=r"N_TRAIN=8001 is not allowed: .* less the 2,000 held out for validation leave at most 8,000"):
        _setup_namespace(path, {"QUICK": False, "N_TRAIN": 8001}, monkeypatch)


def test_notebook_03_zero_seeds_is_an_error_not_the_default(monkeypatch):
    with pytest.raises(ValueError, match=r"N_SEEDS=0 is not allowed: use an int >= 1, or None for the default \(2\)"):
        _setup_namespace(NOTEBOOKS[3], {"N_SEEDS": 0}, monkeypatch)


def test_papermill_run_stops_at_an_unknown_parameter(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="BATCH_SIZE=64 is not a parameter of this notebook") as err:
        pm.execute_notebook(
            str(NOTEBOOKS[0]),
            str(tmp_path / "00.ipynb"),
            parameters={"BATCH_SIZE": 64},
            cwd=str(ROOT / "notebooks"),
            kernel_name="python3",
            progress_bar=False,
        )
    assert err.value.exec_count is not None


def test_notebook_06_refuses_a_training_set_that_leaves_no_validation_images(monkeypatch):
    with pytest.raises(ValueError, match=r"N_TRAIN=10,000 is not allowed"):  # the bundled subset has 10,000 training images
        _setup_namespace(ROOT / "notebooks" / "06_regularization.ipynb", {"N_TRAIN": 10_000}, monkeypatch)


@pytest.mark.parametrize("quick", [True, False], ids=["quick", "full"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_setup_cell_accepts_its_own_defaults(path, quick, monkeypatch):
    """No parameter is wrongly flagged: the setup cell runs with the defaults, in quick and in full mode (bundled data)."""
    monkeypatch.setenv("COURSE_QUICK", "1" if quick else "0")
    namespace = _setup_namespace(path, {"QUICK": quick}, monkeypatch)
    assert namespace["QUICK"] is quick


def test_notebook_07_accepts_the_list_its_setup_cell_makes(monkeypatch):
    path = next(p for p in NOTEBOOKS if p.name.startswith("07"))
    ns = _setup_namespace(path, {"LR_GRID": "0.05,0.2"}, monkeypatch)
    assert ns["LR_GRID"] == [0.05, 0.2]
    assert _setup_namespace(path, {"LR_GRID": ns["LR_GRID"]}, monkeypatch)["LR_GRID"] == [0.05, 0.2]  # the cell run again
    with pytest.raises(ValueError, match="LR_GRID=.* is not allowed"):
        _setup_namespace(path, {"LR_GRID": "fast"}, monkeypatch)
