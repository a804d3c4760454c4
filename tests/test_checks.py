import math

import pytest
import torch

import course_utils as cu


def test_assert_close_accepts_numbers_and_tensors():
    cu.assert_close(torch.tensor([1.0, 2.0]), [1.0, 2.0])
    cu.assert_close(0.1 + 0.2, 0.3)
    cu.assert_close(torch.tensor([1, 2]), torch.tensor([1, 2]))
    cu.assert_close(torch.tensor([1.0, 2.0]), [1, 2])


def test_assert_close_message_shows_expected_and_got():
    with pytest.raises(AssertionError) as err:
        cu.assert_close(torch.arange(10.0), torch.zeros(10), name="my gradient")
    text = str(err.value)
    assert "my gradient is not close" in text and "expected: tensor(shape=(10,)" in text and "(10 values)" in text


def test_check_finite():
    cu.check_finite(torch.ones(3))
    cu.check_finite(1.0)
    with pytest.raises(FloatingPointError, match="loss has 1 non-finite entry"):
        cu.check_finite(torch.tensor([1.0, math.nan]), name="loss")
    with pytest.raises(FloatingPointError, match="2 non-finite entries"):
        cu.check_finite(torch.tensor([math.inf, -math.inf]))


def test_check_claim_prints_evidence_or_fails(capsys):
    cu.check_claim("bigger is better", 2 > 1, {"a": 2.0, "b": 1, "c": math.nan})
    out = capsys.readouterr().out
    assert "CLAIM HOLDS: bigger is better" in out and "a=2" in out and "c=nan" in out
    with pytest.raises(AssertionError, match="(?s)CLAIM FAILED: smaller.*evidence: x=3"):
        cu.check_claim("smaller", False, "x=3")


def test_check_exercise(capsys):
    cu.check_exercise("ex1", True, "unused")
    assert "correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="Hint: try harder"):
        cu.check_exercise("ex1", False, "try harder")
