"""Known-answer validation suite: every case passes, and wrong answers are caught."""

import json
import math

import numpy as np
import pytest

from netchaos.validation import CASE_NAMES, CASES, ValidationReport, validate


@pytest.fixture(scope="module")
def report():
    return validate(verbose=False)


def test_report_type_and_timing(report):
    assert isinstance(report, ValidationReport)
    assert [c.name for c in report.cases] == list(CASE_NAMES)
    assert report.seconds < 60          # ~5 s on an idle core


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_passes(report, name):
    case = report[name]
    assert case.error is None, case.error
    assert case.passed, f"{name}: estimate {case.estimate} vs truth {case.truth}"


def test_suite_passes(report):
    assert report.passed
    assert bool(report)
    assert report.failures == []


def test_known_answers_are_the_textbook_values(report):
    assert report["logistic_r4"].truth == pytest.approx(math.log(2))
    assert report["tent_mu1.7"].truth == pytest.approx(math.log(1.7))
    assert report["henon_sum"].truth == pytest.approx(math.log(0.3))
    assert report["henon_lambda1"].truth == pytest.approx(0.42, abs=0.005)
    assert report["henon_lambda2"].truth == pytest.approx(-1.62, abs=0.005)
    # the tolerances of the brief
    assert report["logistic_r4"].tolerance == 1e-3
    assert report["tent_mu1.7"].tolerance == 1e-3
    assert report["henon_lambda1"].tolerance == 0.01
    assert report["henon_sum"].tolerance == 1e-6
    assert report["gd_quadratic"].tolerance == 1e-8
    assert report["kantz_henon"].tolerance == 0.05
    assert report["rosenstein_henon"].tolerance == 0.05


def test_estimates_are_close(report):
    assert abs(report["logistic_r4"].estimate - math.log(2)) < 1e-3
    assert abs(report["henon_sum"].estimate - math.log(0.3)) < 1e-6
    est = np.asarray(report["gd_quadratic"].estimate)
    assert est.shape == (4,)
    assert np.all(np.abs(est - np.asarray(report["gd_quadratic"].truth)) < 1e-8)
    # the significance cases: Hénon significant, white noise not
    assert report["kantz_henon_significance"].estimate < 0.05
    assert report["rosenstein_henon_significance"].estimate < 0.05
    assert report["kantz_noise_significance"].estimate >= 0.05
    assert report["rosenstein_noise_significance"].estimate >= 0.05


def test_periodic_quantized_and_flow_cases(report):
    """A sine is not chaotic; quantized data and a sampled flow keep their exponents."""
    for name in ("kantz_sine_significance", "rosenstein_sine_significance"):
        assert report[name].kind == "significance" and report[name].truth is False
        assert report[name].estimate >= 0.05
    for name in ("kantz_logistic_quantized", "rosenstein_logistic_quantized"):
        assert report[name].truth == pytest.approx(math.log(2))
        assert report[name].tolerance == pytest.approx(0.05 * math.log(2), rel=0.02)
        assert abs(report[name].estimate - math.log(2)) <= 0.05 * math.log(2)
    for name in ("kantz_lorenz_flow", "rosenstein_lorenz_flow"):
        assert report[name].truth == 0.906 and report[name].tolerance == 0.09
        assert abs(report[name].estimate - 0.906) <= 0.1 * 0.906


def test_table_has_the_columns(report):
    text = report.table()
    header = text.splitlines()[0].split()
    assert header == ["case", "estimate", "truth", "tolerance", "pass"]
    for name in CASE_NAMES:
        assert name in text
    assert f"{len(CASE_NAMES)}/{len(CASE_NAMES)} cases passed" in text
    assert "FAIL" not in text


def test_report_to_dict_is_strict_json(report):
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert d["passed"] is True
    assert len(d["cases"]) == len(CASE_NAMES)


def test_wrong_truth_is_reported_as_failure():
    rep = validate(verbose=False, cases=["logistic_r4", "tent_mu1.7"],
                   truths={"logistic_r4": 0.5})
    assert not rep.passed
    assert [c.name for c in rep.failures] == ["logistic_r4"]
    assert rep["tent_mu1.7"].passed
    assert "FAIL" in rep.table() and "logistic_r4" in rep.table().splitlines()[-1]


def test_wrong_vector_truth_fails():
    truth = np.sort(np.log([2.0, 1.3, 0.7, 0.2]))[::-1] + np.array([0, 0, 0, 1e-6])
    rep = validate(verbose=False, cases=["diagonal_linear"], truths={"diagonal_linear": truth})
    assert not rep.passed


def test_flipped_significance_fails():
    rep = validate(verbose=False, cases=["kantz_noise_significance"],
                   truths={"kantz_noise_significance": True})
    assert not rep.passed


def test_verbose_prints_table(capsys):
    validate(verbose=True, cases=["tent_mu1.7"])
    out = capsys.readouterr().out
    assert "tent_mu1.7" in out and "PASS" in out


def test_unknown_names_raise():
    with pytest.raises(ValueError, match="unknown validation case"):
        validate(verbose=False, cases=["no_such_case"])
    with pytest.raises(ValueError, match="truths"):
        validate(verbose=False, cases=["tent_mu1.7"], truths={"nope": 1.0})
    with pytest.raises(ValueError, match="seed"):
        validate(verbose=False, cases=["tent_mu1.7"], seed=-1)


def test_every_case_has_a_description_and_kind():
    for c in CASES:
        assert c.description
        assert c.kind in ("value", "significance")
