"""Known-answer validation of the Lyapunov estimators.

:func:`validate` runs the package's own estimators on systems whose answers
are known and reports, case by case, the estimate, the known answer, the
tolerance and whether it passed:

==========================  ==============================================  =========
case                        known answer                                    tolerance
==========================  ==============================================  =========
logistic_r4                 ln 2 (logistic map, r = 4)                      1e-3
tent_mu1.7                  ln 1.7 (tent map, slope 1.7)                    1e-3
henon_lambda1               0.4192 (Hénon map, a = 1.4, b = 0.3)            0.01
henon_lambda2               -1.6232                                         0.01
henon_sum                   ln 0.3 = ln|det J| (sum of the exponents)       1e-6
diagonal_linear             ln|a_i| of x -> diag(a) x                       1e-10
gd_quadratic                ln|1 - lr h_i| for GD on linear least squares   1e-8
kantz_henon                 0.4192 from the Hénon x-series (Kantz)          0.05
kantz_henon_significance    significant against phase surrogates            alpha
rosenstein_henon            0.4192 from the Hénon x-series (Rosenstein)     0.05
rosenstein_henon_signif...  significant                                     alpha
kantz_noise_significance    white noise: not significant                    alpha
rosenstein_noise_signif...  white noise: not significant                    alpha
kantz_sine_significance     sin(2 pi n / 10 + 0.4): not significant         alpha
rosenstein_sine_signif...   sin(2 pi n / 10 + 0.4): not significant         alpha
kantz_logistic_quantized    ln 2, logistic map rounded to 3 decimals        0.035
rosenstein_logistic_qua...  ln 2, same series (Rosenstein)                  0.035
kantz_lorenz_flow           0.906 per unit time, Lorenz x sampled at 0.05   0.09
rosenstein_lorenz_flow      0.906, same series (Rosenstein)                 0.09
==========================  ==============================================  =========

The map exponents use :func:`netchaos.lyapunov_spectrum` in its generic mode
(``step=``, ``jacobian=``) and, for gradient descent, in its network mode with
``netchaos.MLP([d, 1], loss="mse")``, whose GD map is linear with the constant
Jacobian ``I - lr H``. The time-series exponents use
:func:`netchaos.kantz` and :func:`netchaos.rosenstein` with their surrogate
tests.

The periodic, quantized and flow cases check what used to go wrong: an
exactly periodic sine (whose neighbours are rounding-level copies) must not
come out chaotic; quantized data (exact zero distances) must not bias the
exponent upward; a flow sampled at ``dt = 0.05`` with ``dt`` given must give
the exponent per unit of time (the Lorenz flow, sigma = 10, rho = 28,
beta = 8/3: 0.906, integrated here with a fixed-step RK4 of step 0.01)
from the default fit window; their tolerances are 5% and 10% of the answer.

Why the tolerances are attainable: the logistic map at r = 4 is conjugate to
the tent map, so ``ln|f'(x_t)|`` differs from ``ln 2`` by a coboundary and its
time average converges like 1/N rather than 1/sqrt(N); the tent map's slope
is the same everywhere; a transient aligns the QR vectors of the linear maps
with their eigen-directions, after which the QR method is exact to rounding;
with all exponents of the Hénon map, their per-step sum is ``ln|det J| =
ln 0.3`` exactly.

The known answers can be overridden (``truths=``) to check that a wrong answer
is caught: the case then fails and the report says so.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import systems
from .model import MLP
from .spectra import lyapunov_spectrum
from .timeseries import kantz, rosenstein

__all__ = ["CaseResult", "ValidationReport", "CASES", "CASE_NAMES", "validate", "HENON_EXPONENTS"]

#: Lyapunov exponents of the Hénon map (a = 1.4, b = 0.3) from long QR runs in the literature.
HENON_EXPONENTS = (0.41922, -1.62319)


@dataclass
class CaseResult:
    """One row of a :class:`ValidationReport`.

    Attributes
    ----------
    name : str
    description : str
    estimate : float or ndarray
        The estimate (a p-value for significance cases).
    truth : float, ndarray or bool
        The known answer (for significance cases: whether the result must be
        significant).
    tolerance : float
        Absolute tolerance (for significance cases: the level alpha).
    passed : bool
    kind : {"value", "significance"}
    seconds : float
        Time spent computing the case (shared computations count once).
    error : str or None
        The exception message if the estimator raised.

    Examples
    --------
    >>> import netchaos as nc
    >>> case = nc.validate(verbose=False, cases=["tent_mu1.7"])["tent_mu1.7"]
    >>> case.kind, case.passed, round(case.estimate, 3), case.tolerance
    ('value', True, 0.531, 0.001)
    >>> sorted(case.to_dict())[:4]
    ['description', 'error', 'estimate', 'kind']
    """

    name: str
    description: str
    estimate: object
    truth: object
    tolerance: float
    passed: bool
    kind: str = "value"
    seconds: float = 0.0
    error: str = None

    def to_dict(self):
        def plain(v):
            if isinstance(v, (bool, np.bool_)):
                return bool(v)
            a = np.asarray(v, dtype=float)
            if a.ndim == 0:
                x = float(a)
                return x if math.isfinite(x) else None
            return [float(x) if math.isfinite(x) else None for x in a.ravel()]
        return {"name": self.name, "description": self.description,
                "estimate": plain(self.estimate) if self.estimate is not None else None,
                "truth": plain(self.truth), "tolerance": float(self.tolerance),
                "passed": bool(self.passed), "kind": self.kind,
                "seconds": float(self.seconds), "error": self.error}


@dataclass
class ValidationReport:
    """Outcome of :func:`validate`.

    Attributes
    ----------
    cases : list of CaseResult
    seconds : float
        Wall time of the whole run.
    seed : int

    Examples
    --------
    >>> import netchaos as nc
    >>> report = nc.validate(verbose=False, cases=["tent_mu1.7", "diagonal_linear"])
    >>> report.passed, [c.name for c in report.cases], report.failures
    (True, ['tent_mu1.7', 'diagonal_linear'], [])
    >>> report.table().splitlines()[0].split()
    ['case', 'estimate', 'truth', 'tolerance', 'pass']
    """

    cases: list = field(default_factory=list)
    seconds: float = 0.0
    seed: int = 0

    @property
    def passed(self):
        """True when every case passed."""
        return all(c.passed for c in self.cases)

    @property
    def failures(self):
        """The cases that failed."""
        return [c for c in self.cases if not c.passed]

    def __getitem__(self, name):
        for c in self.cases:
            if c.name == name:
                return c
        raise KeyError(name)

    def __bool__(self):
        return self.passed

    def table(self):
        """The report as a fixed-width text table."""
        rows = [("case", "estimate", "truth", "tolerance", "pass")]
        for c in self.cases:
            if c.kind == "significance":
                est = "error" if c.error else f"p={_num(c.estimate)}"
                truth = "significant" if c.truth else "not significant"
                tol = f"alpha={c.tolerance:g}"
            else:
                est = "error" if c.error else _num(c.estimate)
                truth = _num(c.truth)
                tol = f"{c.tolerance:.0e}"
            rows.append((c.name, est, truth, tol, "PASS" if c.passed else "FAIL"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = []
        for k, r in enumerate(rows):
            lines.append("  ".join(s.ljust(w) for s, w in zip(r, widths)).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        n_pass = sum(c.passed for c in self.cases)
        lines.append("")
        lines.append(f"{n_pass}/{len(self.cases)} cases passed in {self.seconds:.1f} s"
                     + ("" if self.passed else
                        "; FAILED: " + ", ".join(c.name for c in self.failures)))
        for c in self.cases:
            if c.error:
                lines.append(f"  {c.name}: {c.error}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def to_dict(self):
        return {"passed": self.passed, "seconds": self.seconds, "seed": self.seed,
                "cases": [c.to_dict() for c in self.cases]}


def _num(v):
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return "[" + ", ".join(f"{x:.6g}" for x in a.ravel()) + "]"


# ---------------------------------------------------------------------------
# the systems
# ---------------------------------------------------------------------------
def _logistic(seed):
    res = lyapunov_spectrum(systems.logistic(4.0), x0=[0.3141592653589793], steps=50_000,
                            transient=100, seed=seed)
    return {"logistic_r4": float(res.exponents[0])}


def _tent(seed):
    res = lyapunov_spectrum(systems.tent(1.7), x0=[0.2718281828459045], steps=5_000,
                            transient=100, seed=seed)
    return {"tent_mu1.7": float(res.exponents[0])}


def _henon(seed):
    res = lyapunov_spectrum(systems.henon(), x0=[0.1, 0.1], steps=30_000, transient=1_000,
                            seed=seed)
    lam = res.exponents
    return {"henon_lambda1": float(lam[0]), "henon_lambda2": float(lam[1]),
            "henon_sum": float(lam.sum())}


#: diagonal of the linear test map (distinct moduli, one negative entry)
_DIAG = np.array([2.0, -1.3, 0.7, 0.2])


def _diagonal(seed):
    res = lyapunov_spectrum(systems.linear(np.diag(_DIAG)), x0=np.ones(_DIAG.size), steps=400,
                            transient=200, seed=seed)
    return {"diagonal_linear": res.exponents}


def _quadratic_problem(seed):
    """Linear least squares: data, the MLP, the exact Hessian and the learning rate."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    n, d = 60, 3
    X = rng.standard_normal((n, d)) * np.array([1.0, 0.6, 0.3]) + np.array([0.5, 0.0, 0.0])
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(n)
    Xa = np.hstack([X, np.ones((n, 1))])
    # L = (1/n) sum (x.w + b - y)^2  =>  H = (2/n) [X 1]^T [X 1], constant
    H = 2.0 / n * Xa.T @ Xa
    h = np.linalg.eigvalsh(H)
    lr = 1.5 / h.max()     # stable; the stiffest direction flips sign (1 - lr h = -0.5)
    return X, y, h, lr, rng


def _quadratic_truth(seed):
    _, _, h, lr, _ = _quadratic_problem(seed)
    return np.sort(np.log(np.abs(1.0 - lr * h)))[::-1]


def _quadratic(seed):
    X, y, h, lr, rng = _quadratic_problem(seed)
    model = MLP([X.shape[1], 1], loss="mse")
    res = lyapunov_spectrum(model, (X, y), rng.standard_normal(model.n_params), lr,
                            steps=300, transient=300, seed=seed)
    return {"gd_quadratic": res.exponents}


def _henon_series(n, transient=1_000):
    # x_t for t = transient + 1 .. transient + n
    return systems.orbit(systems.henon(), [0.1, 0.1], n, transient + 1)[:, 0]


#: surrogates of the time-series tests (smallest attainable p-value 1/40 = 0.025)
_N_SURROGATES = 39
_ALPHA = 0.05


def _kantz_henon(seed):
    res = kantz(_henon_series(4_000), n_surrogates=_N_SURROGATES, alpha=_ALPHA, seed=seed)
    return {"kantz_henon": float(res.exponent), "kantz_henon_significance": _p_of(res)}


def _rosenstein_henon(seed):
    res = rosenstein(_henon_series(4_000), dim=3, n_surrogates=_N_SURROGATES, alpha=_ALPHA,
                     seed=seed)
    return {"rosenstein_henon": float(res.exponent),
            "rosenstein_henon_significance": _p_of(res)}


def _noise(seed):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(11,)))
    return rng.standard_normal(3_000)


def _kantz_noise(seed):
    res = kantz(_noise(seed), n_surrogates=_N_SURROGATES, alpha=_ALPHA, seed=seed)
    return {"kantz_noise_significance": _p_of(res)}


def _rosenstein_noise(seed):
    res = rosenstein(_noise(seed), dim=3, n_surrogates=_N_SURROGATES, alpha=_ALPHA, seed=seed)
    return {"rosenstein_noise_significance": _p_of(res)}


#: Lorenz flow (sigma = 10, rho = 28, beta = 8/3): largest exponent per unit of time
#: (J. C. Sprott, Chaos and Time-Series Analysis, Oxford UP (2003): 0.9056)
LORENZ_EXPONENT = 0.906


def _sine():
    return np.sin(2.0 * np.pi * np.arange(2_000) / 10 + 0.4)


def _kantz_sine(seed):
    res = kantz(_sine(), n_surrogates=_N_SURROGATES, alpha=_ALPHA, seed=seed)
    return {"kantz_sine_significance": _p_of(res)}


def _rosenstein_sine(seed):
    res = rosenstein(_sine(), n_surrogates=_N_SURROGATES, alpha=_ALPHA, seed=seed)
    return {"rosenstein_sine_significance": _p_of(res)}


def _p_of(res):
    """The p-value of a significance case, or 1 when it is below alpha but the result is not
    significant (the exponent is not positive beyond the null)."""
    p = float(res.p_value)
    return p if res.significant or not p < _ALPHA else 1.0


def _quantized_logistic():
    return np.round(systems.orbit(systems.logistic(4.0), [0.3141592653589793], 3_000, 100)[:, 0],
                    3)


def _kantz_quantized(seed):
    return {"kantz_logistic_quantized": float(kantz(_quantized_logistic(), n_surrogates=0,
                                                    seed=seed).exponent)}


def _rosenstein_quantized(seed):
    return {"rosenstein_logistic_quantized": float(rosenstein(_quantized_logistic(),
                                                              n_surrogates=0, seed=seed).exponent)}


def _lorenz_x(dt=0.05, n=5_000, h=0.01, transient=50.0):
    """x(t) of the Lorenz flow by fixed-step RK4 (step h), sampled every dt after a transient."""
    def f(s):
        return np.array([10.0 * (s[1] - s[0]), s[0] * (28.0 - s[2]) - s[1],
                         s[0] * s[1] - 8.0 / 3.0 * s[2]])

    s = np.array([1.0, 1.0, 20.0])
    sub = round(dt / h)
    out = np.empty(n)
    for i in range(-round(transient / dt), n):
        for _ in range(sub):
            k1 = f(s)
            k2 = f(s + 0.5 * h * k1)
            k3 = f(s + 0.5 * h * k2)
            k4 = f(s + h * k3)
            s = s + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        if i >= 0:
            out[i] = s[0]
    return out


def _lorenz(seed):
    x = _lorenz_x()
    return {"kantz_lorenz_flow": float(kantz(x, dt=0.05, n_surrogates=0, seed=seed).exponent),
            "rosenstein_lorenz_flow": float(rosenstein(x, dt=0.05, n_surrogates=0,
                                                       seed=seed).exponent)}


@dataclass(frozen=True)
class _Case:
    name: str
    description: str
    truth: object          # float, array, bool, or a callable seed -> array
    tolerance: float
    compute: object        # callable seed -> {case name: estimate}
    kind: str = "value"


#: All cases, in report order.
CASES = (
    _Case("logistic_r4", "logistic map r=4: lambda = ln 2", math.log(2.0), 1e-3, _logistic),
    _Case("tent_mu1.7", "tent map slope 1.7: lambda = ln 1.7", math.log(1.7), 1e-3, _tent),
    _Case("henon_lambda1", "Henon a=1.4 b=0.3: lambda_1", HENON_EXPONENTS[0], 0.01, _henon),
    _Case("henon_lambda2", "Henon a=1.4 b=0.3: lambda_2", HENON_EXPONENTS[1], 0.01, _henon),
    _Case("henon_sum", "Henon: lambda_1 + lambda_2 = ln 0.3", math.log(0.3), 1e-6, _henon),
    _Case("diagonal_linear", "x -> diag(2, -1.3, 0.7, 0.2) x: ln|a_i|",
          np.sort(np.log(np.abs(_DIAG)))[::-1], 1e-10, _diagonal),
    _Case("gd_quadratic", "GD on linear least squares (MLP [3, 1], mse): ln|1 - lr h_i|",
          _quadratic_truth, 1e-8, _quadratic),
    _Case("kantz_henon", "Kantz on the Henon x-series", HENON_EXPONENTS[0], 0.05, _kantz_henon),
    _Case("kantz_henon_significance", "Kantz on the Henon x-series: surrogate test", True,
          _ALPHA, _kantz_henon, "significance"),
    _Case("rosenstein_henon", "Rosenstein on the Henon x-series", HENON_EXPONENTS[0], 0.05,
          _rosenstein_henon),
    _Case("rosenstein_henon_significance", "Rosenstein on the Henon x-series: surrogate test",
          True, _ALPHA, _rosenstein_henon, "significance"),
    _Case("kantz_noise_significance", "Kantz on white noise (negative control)", False, _ALPHA,
          _kantz_noise, "significance"),
    _Case("rosenstein_noise_significance", "Rosenstein on white noise (negative control)", False,
          _ALPHA, _rosenstein_noise, "significance"),
    _Case("kantz_sine_significance", "Kantz on a period-10 sine (periodic: not chaotic)", False,
          _ALPHA, _kantz_sine, "significance"),
    _Case("rosenstein_sine_significance", "Rosenstein on a period-10 sine (not chaotic)", False,
          _ALPHA, _rosenstein_sine, "significance"),
    _Case("kantz_logistic_quantized", "Kantz on the logistic map rounded to 3 decimals",
          math.log(2.0), 0.035, _kantz_quantized),
    _Case("rosenstein_logistic_quantized", "Rosenstein on the logistic map rounded to 3 decimals",
          math.log(2.0), 0.035, _rosenstein_quantized),
    _Case("kantz_lorenz_flow", "Kantz on the Lorenz x-series, dt = 0.05 (per unit time)",
          LORENZ_EXPONENT, 0.09, _lorenz),
    _Case("rosenstein_lorenz_flow", "Rosenstein on the Lorenz x-series, dt = 0.05",
          LORENZ_EXPONENT, 0.09, _lorenz),
)

CASE_NAMES = tuple(c.name for c in CASES)


def _judge(case, estimate, truth):
    if case.kind == "significance":
        p = float(estimate)
        significant = bool(np.isfinite(p) and p < case.tolerance)
        return significant == bool(truth)
    est = np.asarray(estimate, dtype=float)
    tru = np.asarray(truth, dtype=float)
    if est.shape != tru.shape and tru.ndim > 0:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.isfinite(est)) and np.all(np.abs(est - tru) <= case.tolerance))


def validate(verbose=True, cases=None, truths=None, seed=0, stream=None):
    """Run the known-answer suite and report each case.

    Parameters
    ----------
    verbose : bool, default True
        Print the table (case, estimate, truth, tolerance, pass) when done.
    cases : sequence of str, optional
        Run only these cases (names from :data:`CASE_NAMES`); default all.
    truths : dict, optional
        ``{case name: answer}`` replacing known answers, e.g. to check that
        a wrong answer makes the suite fail. Values are floats or arrays for
        value cases and bools (must be significant or not) for significance
        cases.
    seed : int, default 0
        Seed of the initial tangent vectors, surrogates and noise.
    stream : file-like, optional
        Where to print (default ``sys.stdout``).

    Returns
    -------
    ValidationReport
        ``passed`` is True when every case passed; ``table()`` renders it.

    Raises
    ------
    ValueError
        For unknown case names in ``cases`` or ``truths``.

    Notes
    -----
    An estimator that raises makes its case fail (with the message in the
    report) rather than aborting the suite. Runtime is about 20-35 s on one
    core, dominated by the surrogate tests.

    Examples
    --------
    Two quick cases, then a wrong known answer, which the suite catches:

    >>> import netchaos as nc
    >>> nc.validate(verbose=False, cases=["tent_mu1.7", "diagonal_linear"]).passed
    True
    >>> bad = nc.validate(verbose=False, cases=["tent_mu1.7"], truths={"tent_mu1.7": 0.5})
    >>> bad.passed, [c.name for c in bad.failures]
    (False, ['tent_mu1.7'])
    """
    import sys

    names = CASE_NAMES if cases is None else tuple(cases)
    unknown = [n for n in names if n not in CASE_NAMES]
    if unknown:
        raise ValueError(f"unknown validation case(s) {unknown}; known: {', '.join(CASE_NAMES)}")
    truths = dict(truths or {})
    bad = [n for n in truths if n not in CASE_NAMES]
    if bad:
        raise ValueError(f"truths names unknown case(s) {bad}; known: {', '.join(CASE_NAMES)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")

    t_start = time.perf_counter()
    computed = {}       # compute function -> (results dict, seconds, error)
    report = ValidationReport(seed=int(seed))
    for case in CASES:
        if case.name not in names:
            continue
        if case.compute not in computed:
            t0 = time.perf_counter()
            try:
                out, err = case.compute(int(seed)), None
            except Exception as exc:  # a failing estimator fails its cases, not the suite
                out, err = {}, f"{type(exc).__name__}: {exc}"
            computed[case.compute] = (out, time.perf_counter() - t0, err)
        out, secs, err = computed[case.compute]
        truth = truths.get(case.name, case.truth)
        if callable(truth):
            truth = truth(int(seed))
        estimate = out.get(case.name)
        passed = err is None and estimate is not None and _judge(case, estimate, truth)
        report.cases.append(CaseResult(
            name=case.name, description=case.description, estimate=estimate, truth=truth,
            tolerance=case.tolerance, passed=bool(passed), kind=case.kind, seconds=secs,
            error=err))
    report.seconds = time.perf_counter() - t_start
    if verbose:
        print(report.table(), file=stream or sys.stdout)
    return report
