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


def test_quantitative_claims_print_their_margin_and_fail_below_the_threshold(capsys):
    rec = cu.check_claim("the cache is faster", value=5.4, above=3.0, evidence={"seeds": 3})
    out = capsys.readouterr().out
    assert "CLAIM HOLDS: the cache is faster" in out and "measured: 5.4, needed > 3: margin 1.8x" in out
    assert rec.kind == "quantitative" and rec.held and rec.margin == pytest.approx(1.8)
    assert cu.check_claim("small gap", value=0.02, below=0.1).margin == pytest.approx(5.0)
    assert cu.check_claim("close to one", value=1.05, above=0.9, below=1.2).margin == pytest.approx(1.2 / 1.05)
    with pytest.raises(AssertionError, match=r"(?s)CLAIM FAILED: the cache is faster.*margin 0.833x"):
        cu.check_claim("the cache is faster", value=2.5, above=3.0)
    with pytest.raises(AssertionError, match="CLAIM FAILED"):
        cu.check_claim("at the threshold is not beyond it", value=3.0, above=3.0)


def test_nan_never_holds():
    with pytest.raises(AssertionError, match="the measurement is NaN"):
        cu.check_claim("speed-up", value=math.nan, above=1.0)
    with pytest.raises(AssertionError, match="holds is NaN"):
        cu.check_claim("a NaN is truthy", float("nan"))
    with pytest.raises(AssertionError, match="holds is NaN"):
        cu.check_claim("a NaN tensor too", torch.tensor(float("nan")))
    with pytest.raises(AssertionError, match="the measurement is NaN"):
        cu.check_claim("tensor value", value=torch.tensor(float("nan")), below=1.0)


def test_qualitative_and_unmeasured_claims_are_marked(capsys):
    assert cu.check_claim("raises on a busy port", True, qualitative="an exception is raised").kind == "qualitative"
    assert "qualitative: an exception is raised" in capsys.readouterr().out
    assert cu.check_claim("bare", torch.tensor(True)).kind == "unmeasured"


def test_claim_arguments_are_checked():
    with pytest.raises(TypeError, match="not both"):
        cu.check_claim("x", True, value=1.0, above=0.5)
    with pytest.raises(TypeError, match="need value="):
        cu.check_claim("x", True, above=0.5)
    with pytest.raises(TypeError, match="needs value="):
        cu.check_claim("x")
    with pytest.raises(ValueError, match="needs a threshold"):
        cu.check_claim("x", value=1.0)
    with pytest.raises(ValueError, match="non-negative"):
        cu.check_claim("x", value=1.0, above=-1.0)
    with pytest.raises(ValueError, match="negative"):
        cu.check_claim("x", value=-1.0, below=1.0)
    with pytest.raises(AssertionError, match="margin 0x"):  # an effect that reversed fails, it is not an error
        cu.check_claim("the gain is above 0.5", value=-0.2, above=0.5)
    with pytest.raises(AssertionError, match="margin 0x"):  # below the lower end of a range, too
        cu.check_claim("the factor lies between 5 and 20", value=-1.0, above=5, below=20)
    with pytest.raises(ValueError, match="non-negative numbers"):  # a bad threshold is named before the text is read
        cu.check_claim("above 3", value=1.0, above=math.inf)
    with pytest.raises(ValueError, match="one number"):
        cu.check_claim("x", value=torch.ones(2), above=0.5)
    with pytest.raises(ValueError, match="one truth value"):
        cu.check_claim("x", torch.ones(2, dtype=torch.bool))
    assert cu.checks.margin(0.0, below=1.0) == math.inf and cu.checks.margin(1.0, above=0.0) == math.inf


def test_claims_are_appended_to_the_ledger_file(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("COURSE_CLAIMS_LOG", str(log))
    cu.check_claim("one", value=2.0, above=1.0)
    with pytest.raises(AssertionError):
        cu.check_claim("two", value=math.nan, above=1.0)
    import json

    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["claim"], r["held"], r["kind"]) for r in rows] == [("one", True, "quantitative"), ("two", False, "quantitative")]
    assert rows[0]["margin"] == 2.0 and rows[1]["value"] is None


def test_stated_bounds_are_read_from_the_text():
    from course_utils.checks import stated_bounds

    assert stated_bounds("the KV cache makes it at least 1.5x faster") == ["1.5"]
    assert stated_bounds("noise scores more than 2,000x the floor, fewer than 90% are argmax") == ["2000", "90%"]
    assert stated_bounds("generation is 5x faster with the cache") == ["5"]
    assert stated_bounds("after 200 steps the loss fell") == []  # a figure that is not a bound
    assert stated_bounds("a ratio between 0.5 and 0.7, at most 2x") == ["0.5", "0.7", "2"]
    assert stated_bounds("between 40 and 60% of the units") == ["40%", "60%"]


def test_a_text_that_states_another_bound_than_its_threshold_is_found():
    from course_utils.checks import bound_mismatch

    assert bound_mismatch("at least 1.5x faster", 1.5, None) is None
    assert "states 5" in bound_mismatch("at least 5x faster", 1.5, None)
    assert bound_mismatch("fewer than 90% are the argmax", None, 0.9) is None  # a percentage
    assert bound_mismatch("5x closer than noise", None, 0.2) is None  # an inverse ratio
    assert bound_mismatch("below 2.10 nats", None, 2.1) is None  # the text's digits
    assert "below=1.9" in bound_mismatch("below 2.10 nats", None, 1.9)
    assert bound_mismatch("at least 4 different crops", 3.5, None) is None  # a whole number, strictly
    assert bound_mismatch("at least 7 of the 8 modes", 6.5, None) is None  # round half up (Python's round(6.5) is 6)
    assert bound_mismatch("at least 7 of the 8 modes", 6, None) is None  # more than 6
    assert bound_mismatch("the loss fell", 0.5, None) is None  # no stated bound: nothing to compare
    assert bound_mismatch("runs that cover 8 modes score higher", 1.2, None) is None  # "over" inside a word is no bound
    assert "states 1e-3" in bound_mismatch("agrees below 1e-3", None, 1e-6)  # scientific notation keeps its digits
    assert bound_mismatch("agrees within 1e-6", None, 1e-6) is None
    assert bound_mismatch("a ratio between 0.5 and 0.7", 0.5, 0.7) is None  # a range: both ends
    assert "states 0.5, 0.7" in bound_mismatch("a ratio between 0.5 and 0.7", 0.5, 0.9)
    assert "states 2, 8" in bound_mismatch("a factor between 2 and 8", 3, 8)
    assert bound_mismatch("about 16x (between 10x and 24x)", 10, 24) is None


def test_a_claim_whose_text_states_another_bound_is_refused():
    with pytest.raises(ValueError, match="text and its threshold disagree: the text states 5"):
        cu.check_claim("the cache is at least 5x faster", value=5.6, above=1.5)
    assert cu.check_claim("the cache is at least 5x faster", value=5.6, above=5).held


def test_from_scratch_refuses_the_named_functions_only_while_open():
    import torch.nn.functional as F

    x = torch.randn(3, 4)
    with cu.from_scratch("torch.nn.functional.layer_norm", "torch.layer_norm"):
        with pytest.raises(RuntimeError, match="write it from scratch: torch.nn.functional.layer_norm"):
            F.layer_norm(x, (4,))
        with pytest.raises(RuntimeError, match="torch.layer_norm"):
            torch.layer_norm(x, (4,))
        assert torch.isfinite(x.mean())  # everything else still works
    by_hand = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, correction=0, keepdim=True) + 1e-5)
    torch.testing.assert_close(F.layer_norm(x, (4,)), by_hand)
