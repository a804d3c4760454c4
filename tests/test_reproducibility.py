import pytest
import torch

import course_utils as cu
from course_utils import reproducibility as rep


def test_seed_everything_makes_draws_repeatable():
    cu.seed_everything(3)
    a = (torch.rand(3), __import__("numpy").random.rand(), __import__("random").random())
    g = cu.seed_everything(3)
    b = (torch.rand(3), __import__("numpy").random.rand(), __import__("random").random())
    torch.testing.assert_close(a[0], b[0])
    assert a[1:] == b[1:]
    assert torch.equal(torch.rand(2, generator=g), torch.rand(2, generator=torch.Generator().manual_seed(3)))


def test_seed_everything_deterministic_flag_and_reset():
    cu.seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    cu.seed_everything(0)
    assert not torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative int"):
        cu.seed_everything(bad)


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [("1", False, True), ("yes", False, True), ("0", True, True), ("", False, False), ("off", False, False)],
)
def test_quick_mode_reads_environment(monkeypatch, value, default, expected):
    monkeypatch.setenv("COURSE_QUICK", value)
    assert cu.quick_mode(default) is expected


def test_quick_mode_rejects_unknown_values(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "maybe")
    with pytest.raises(ValueError, match="COURSE_QUICK=1"):
        cu.quick_mode()


def test_get_device_cpu_and_report(capsys, monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(rep, "_mps_available", lambda: False)
    assert cu.get_device() == torch.device("cpu")
    assert "Device: cpu" in capsys.readouterr().out
    assert cu.get_device("cpu", verbose=False).type == "cpu"


def test_get_device_errors_name_the_fix(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="not available.*prefer='cpu'"):
        cu.get_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        cu.get_device("tpu")
    monkeypatch.setenv("COURSE_DEVICE", "cuda:0")
    with pytest.raises(RuntimeError, match="COURSE_DEVICE"):
        cu.get_device()


def test_describe_device_names_accelerators(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d: "FakeGPU")
    assert "FakeGPU" in cu.describe_device(torch.device("cuda"))
    assert "MPS" in cu.describe_device(torch.device("mps"))
    monkeypatch.setattr(rep, "_mps_available", lambda: True)
    assert cu.get_device("mps", verbose=False).type == "mps"


def test_cudnn_benchmark_is_off_unless_asked():
    cu.seed_everything(0)
    assert torch.backends.cudnn.benchmark is False
    cu.seed_everything(0, benchmark=True)
    assert torch.backends.cudnn.benchmark is True
    cu.seed_everything(0, deterministic=True, benchmark=True)
    assert torch.backends.cudnn.benchmark is False
    cu.seed_everything(0)


def test_strict_warnings_turn_torch_deprecations_into_errors():
    import warnings

    with warnings.catch_warnings():
        cu.strict_warnings()
        with pytest.raises(DeprecationWarning):
            warnings.warn_explicit("old API", DeprecationWarning, "x.py", 1, module="torch.nn.modules")
        warnings.warn_explicit("someone else's", DeprecationWarning, "x.py", 1, module="jupyter_client.session")


def test_get_device_says_when_it_overrides_course_device(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    assert cu.get_device("cpu", verbose=False).type == "cpu"
    assert "COURSE_DEVICE='cuda' is not used here" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    cu.get_device("cpu", verbose=False)
    assert capsys.readouterr().out == ""


def test_seed_everything_checks_the_range_before_seeding_anything():
    import random

    import numpy as np

    random.seed(5)
    np.random.seed(5)
    before = (random.getstate(), np.random.get_state()[1].tolist())
    with pytest.raises(ValueError, match=r"non-negative int below 2\*\*64.*got 18446744073709551616"):
        cu.seed_everything(2**64)
    assert before == (random.getstate(), np.random.get_state()[1].tolist())  # nothing was seeded
    cu.seed_everything(2**64 - 1)  # the largest seed torch takes


def test_quick_mode_rejects_a_non_bool_quick(monkeypatch):
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    with pytest.raises(ValueError, match="QUICK=1 is not allowed: use True or False"):
        cu.quick_mode(1)


def test_get_device_names_are_parsed_and_checked(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(rep, "_mps_available", lambda: False)
    assert cu.get_device("CPU", verbose=False) == torch.device("cpu")  # any case, surrounding spaces
    assert cu.get_device(" cpu:0 ", verbose=False) == torch.device("cpu:0")
    with pytest.raises(ValueError, match=r"device 'cpu:7' \(from prefer='cpu:7'\) does not exist: there is one cpu device, use 'cpu'"):
        cu.get_device("cpu:7")
    with pytest.raises(ValueError, match=r"unknown device 'cuda:x' \(from prefer='cuda:x'\); choose one of"):
        cu.get_device("cuda:x")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert cu.get_device("cuda:0", verbose=False) == torch.device("cuda:0")
    with pytest.raises(RuntimeError, match=r"'cuda:3' .* not available .*1 CUDA device\(s\), cuda:0 to cuda:0"):
        cu.get_device("cuda:3")


def test_a_bad_course_device_is_named_as_the_source(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(rep, "_mps_available", lambda: False)
    monkeypatch.setenv("COURSE_DEVICE", "gpu")
    with pytest.raises(ValueError, match=r"unknown device 'gpu' \(from COURSE_DEVICE='gpu'\).*or unset COURSE_DEVICE"):
        cu.get_device()
    monkeypatch.setenv("COURSE_DEVICE", "mps:2")
    with pytest.raises(ValueError, match=r"from COURSE_DEVICE='mps:2'"):
        cu.get_device()
    monkeypatch.setenv("COURSE_DEVICE", "CPU")
    assert cu.get_device(verbose=False).type == "cpu"


def test_describe_device_names_the_cpu_and_its_flags(monkeypatch):
    monkeypatch.setattr(cu.reproducibility, "cpu_name", lambda: "Test CPU 9000")
    monkeypatch.setattr(cu.reproducibility, "cpu_flags", lambda: ["avx2", "amx_bf16"])
    line = cu.describe_device(torch.device("cpu"))
    assert "Test CPU 9000" in line and "avx2 amx_bf16" in line and f"{torch.get_num_threads()} threads" in line
    assert torch.__version__ in line


def test_cpu_flags_are_a_subset_of_the_known_ones():
    assert set(cu.cpu_flags()) <= set(cu.reproducibility.SIMD_FLAGS)
    assert isinstance(cu.cpu_name(), str) and cu.cpu_name()
