"""Fuzz the public API with odd and bad arguments.

Every public function of the engine and the analyses is called from a small
valid baseline with one or two arguments replaced by something odd: wrong
shapes, wrong dtypes (object, complex, str), NaN and inf, zero and negative
numbers, numbers beyond int64, unknown names, labels out of range, series too
short, mismatched model and data. Each call must either succeed or raise
``ValueError`` / ``TypeError`` whose message names one of the replaced
arguments -- never another exception type (no Numba typing error, no
IndexError from deep inside) and no RuntimeWarning.

The number of calls made is printed at the end of the module.
"""

import io
import os
import re
import shutil
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import netchaos as nc
from netchaos import datasets

CALLS = {"n": 0, "ok": 0, "error": 0}
SAVE_DIR = tempfile.mkdtemp(prefix="netchaos-fuzz-")
#: examples per case = factor * the case's weight (the whole module runs in well under a minute)
EXAMPLES_FACTOR = 4

# --------------------------------------------------------------------------
# a small valid problem
# --------------------------------------------------------------------------
_IRIS = datasets.iris(seed=0)
X = np.ascontiguousarray(_IRIS.X_train[:24])
Y = np.ascontiguousarray(_IRIS.y_train[:24])
DATA = datasets.Dataset(X, Y, _IRIS.X_test[:6], _IRIS.y_test[:6])
MODEL = nc.MLP([4, 3, 3])
P = MODEL.n_params
THETA = MODEL.init(seed=0)
THETAS = MODEL.init(seed=1, n=3)
V2 = np.random.default_rng(2).normal(size=(P, 2))
REG_X = np.random.default_rng(3).normal(size=(16, 2))
REG_Y = np.sin(REG_X[:, :1])
REG_MODEL = nc.MLP([2, 4, 1], activation="tanh", loss="mse")


def _logistic(n, x0=0.3):
    x = np.empty(n)
    x[0] = x0
    for t in range(1, n):
        x[t] = 4.0 * x[t - 1] * (1.0 - x[t - 1])
    return x


SERIES = _logistic(160)
PERIODIC = np.tile([0.1, 0.5, 0.9], 30) + 1e-3 * np.random.default_rng(4).normal(size=90)
DIST = np.exp(0.2 * np.minimum(np.arange(40), 25))[None, None, :] * np.array(
    [[[1e-8], [2e-8]], [[3e-8], [1e-8]]])
PARAMS = np.cumsum(np.random.default_rng(5).normal(size=(2, 6, 5)), axis=1)
HENON_A, HENON_B = 1.4, 0.3


def henon_step(x):
    return np.array([1.0 - HENON_A * x[0] ** 2 + x[1], HENON_B * x[0]])


def henon_jac(x):
    return np.array([[-2.0 * HENON_A * x[0], 1.0], [HENON_B, 0.0]])


_FTLE = nc.ftle_vs_final_loss(MODEL, DATA, 1.0, n_init=4, t_early=3, t_final=5, seed=0)
_CLV = nc.covariant_vectors(step=henon_step, jacobian=henon_jac, x0=[0.1, 0.1], steps=6,
                            n_forward=10, seed=0)

# --------------------------------------------------------------------------
# odd values
# --------------------------------------------------------------------------
ODD = [None, True, False, 0, 1, -1, 2, 3, -7, 0.0, -0.0, 0.5, -0.5, 1.5, 1e-300, 1e300,
       np.nan, np.inf, -np.inf, 2**64, -(2**64), 10**30, 1j, "abc", "", b"x", object(), [],
       [1], [[1, 2], [3]], {}, (1, 2), np.float32(1.5), np.int8(3), np.bool_(True),
       np.array(2.0), np.array([1.0, np.nan]), np.array(["a", "b"]), slice(1), np.zeros((0, 0))]

_DTYPES = ["float64", "float32", "int64", "int8", "bool", "complex", "object", "str", "list"]


def _cast(a, kind):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if kind == "complex":
            return a.astype(np.complex128) + 1j
        if kind == "object":
            return a.astype(object)
        if kind == "str":
            return a.astype(str)
        if kind == "list":
            return a.tolist()
        return a.astype(kind)


@st.composite
def junk_arrays(draw):
    """Arrays of any small shape and dtype, finite or not."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6))
    elems = st.one_of(st.floats(-1e3, 1e3), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1e308]))
    a = draw(hnp.arrays(np.float64, shape, elements=elems))
    return _cast(a, draw(st.sampled_from(_DTYPES)))


def mutations(v):
    """Near misses of a valid value: other dtypes and shapes, non-finite entries, signs."""
    out = []
    if isinstance(v, (bool, np.bool_)):
        return [not v, 1, 0, "yes", None, np.nan]
    if isinstance(v, int):
        return [-v, v - 1, v + 1, 0, -1, float(v), v + 0.5, str(v), np.int32(v),
                np.uint8(max(v, 0) % 256), v * 10**30, np.nan]
    if isinstance(v, float):
        return [-v, 0.0, np.nan, np.inf, -np.inf, v * 1e300, v * 1e-300, int(v), str(v), 1j * v,
                np.float32(v), np.array([v, v])]
    if isinstance(v, str):
        return [v.upper(), v + "x", "", v[:-1], None, 3, [v]]
    if isinstance(v, np.ndarray):
        a = v
        out += [_cast(a, k) for k in ("float32", "int64", "complex", "object", "str", "list")]
        out += [a[None], a.ravel(), a.T, a[:0]]
        if a.ndim:
            out += [a[:-1], a[..., :-1], np.concatenate([a, a[:1]])]
        if a.size and np.issubdtype(a.dtype, np.floating):
            for bad in (np.nan, np.inf, -np.inf):
                b = a.copy()
                b.flat[a.size // 2] = bad
                out.append(b)
            out += [-a, a * 1e300, np.zeros_like(a)]
        if a.size and np.issubdtype(a.dtype, np.integer):
            out += [a + 1000, -a - 1, a.astype(float) + 0.5]
        return out
    return [None, 0, "x"]


DATA_MUT = [
    (X, Y), [X, Y], (X, Y, X, Y), (X,), (X, Y, X), None, "iris", {"X": X}, X,
    (X[:, :3], Y), (X, Y[:-1]), (X, Y + 3), (X, -Y - 1), (X, Y + 0.5), (X, Y.astype(float)),
    (X, Y.astype(object)), (X.astype(object), Y), (X.astype(complex), Y), (X.astype(str), Y),
    (np.where(X > 5, np.nan, X), Y), (np.where(X > 5, np.inf, X), Y), (X[:0], Y[:0]),
    (X[:, :, None], Y), (X, Y[:, None]), (X, np.stack([Y, Y], 1)), (X.tolist(), Y.tolist()),
    (X, Y.astype(bool)), (X, np.full(len(Y), 2**40)), (REG_X, REG_Y), _IRIS,
    datasets.Dataset(X[:, :3], Y), datasets.Dataset(REG_X, REG_Y[:, 0]),
]
MODEL_MUT = [None, "mlp", MODEL.n_params, nc.MLP([4, 3, 2]), nc.MLP([3, 3]), nc.MLP([4, 3]),
             REG_MODEL, nc.MLP([4, 2, 2, 3], activation="relu", l2=0.1), object()]
DATA_NAMES = ("data", "X", "y", "X_train", "y_train", "X_test", "y_test")


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    fn: object
    base: dict
    examples: int = 40
    extra: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    skip: tuple = ()

    def values(self, arg):
        """Strategy of replacement values for ``arg``."""
        pools = [st.sampled_from(ODD), junk_arrays()]
        base = self.base[arg]
        if isinstance(base, (int, float)) and not isinstance(base, bool):
            pools += [st.integers(-3, 12), st.floats(allow_nan=True, allow_infinity=True)]
        muts = mutations(base) + list(self.extra.get(arg, ()))
        if arg == "data":
            muts += DATA_MUT
        if arg == "model":
            muts += MODEL_MUT
        if muts:
            # near misses are the most informative: draw them as often as the rest together
            pools = [st.sampled_from(muts)] * len(pools) + pools
        return st.one_of(*pools)

    def accepted(self, arg):
        if arg in self.names:
            return self.names[arg]
        if arg == "data":
            return DATA_NAMES
        if arg == "model":
            # a model that does not fit the data is reported against the data
            return ("model",) + DATA_NAMES + ("theta", "theta0", "v", "V", "params", "labels")
        return (arg,)


def _model_method(name):
    def call(model=MODEL, **kw):
        return getattr(model, name)(**kw)
    return call


XY = dict(X=X, y=Y)
ENS = dict(model=MODEL, data=DATA, lr=1.0, steps=12, eps=1e-6, n_init=2, n_pert=2, seed=0)
SWEEP_FIT = {"min_window": 4}
SWEEP_MLE = {"n_boot": 20}

CASES = [
    Case("MLP", nc.MLP, dict(sizes=[4, 3, 3], activation="sigmoid", loss="cross_entropy", l2=0.0),
         extra={"sizes": [[4, 0, 3], [4.0, 3], "43", [4], [[4, 3]], np.array([4, 3]), [4, -1],
                          [True, 3], (4, 3, 3), [4, 2**64], [4, np.int64(3)], {4: 3}],
                "activation": ["softmax", "ReLU", "Tanh"], "loss": ["CE", "hinge"]}),
    Case("init", _model_method("init"), dict(seed=0, n=3, scale=1.0, scheme="normal"),
         extra={"scheme": ["glorot", "he", "xavier", "orthogonal"], "n": [10**13],
                "seed": [np.random.default_rng(0), np.random.SeedSequence(1)]}),
    Case("loss", _model_method("loss"), dict(theta=THETAS, **XY),
         extra={"y": [Y + 3, -Y, Y.astype(float) + 0.25], "theta": [THETA]},
         names={"y": ("y",), "theta": ("theta",)}),
    Case("grad", _model_method("grad"), dict(theta=THETA, **XY), extra={"theta": [THETAS]}),
    Case("accuracy", _model_method("accuracy"), dict(theta=THETAS, **XY)),
    Case("predict", _model_method("predict"), dict(theta=THETA, X=X)),
    Case("loss_mse", _model_method("loss"), dict(model=REG_MODEL, theta=REG_MODEL.init(seed=0),
                                                 X=REG_X, y=REG_Y),
         extra={"y": [REG_Y[:, 0], np.concatenate([REG_Y, REG_Y], 1)]}, skip=("model",)),
    Case("hvp", _model_method("hvp"), dict(theta=THETA, v=V2, **XY),
         extra={"v": [V2[:, 0], V2[:, :0]]}),
    Case("hessian", _model_method("hessian"), dict(theta=THETA, **XY), examples=25),
    Case("jvp_map", _model_method("jvp_map"), dict(theta=THETA, V=V2, lr=0.5, **XY)),
    Case("unflatten", _model_method("unflatten"), dict(theta=THETA), examples=25),
    Case("flatten", _model_method("flatten"), dict(layers=MODEL.unflatten(THETA)), examples=25,
         extra={"layers": [[(np.zeros((4, 3)), np.zeros(3))], [(1, 2), (3, 4)],
                           [(np.zeros((4, 3)), np.zeros(3)), (np.zeros((3, 3)), np.zeros(4))],
                           [np.zeros((4, 3)), np.zeros(3)], "ab",
                           [(np.zeros((4, 3)), np.zeros(3), 1), (np.zeros((3, 3)), np.zeros(3))]]}),
    Case("train", nc.train, dict(model=MODEL, data=DATA, theta0=THETAS, lr=1.0, steps=8,
                                 record="metrics", every=1, batch_size=None, seed=0, reference=None,
                                 test_metrics=False),
         examples=80,
         extra={"record": ["params", "final", "all"], "batch_size": [4, 24, 25, 0],
                "reference": [np.array([-1, 0, 0]), np.array([-1, 0, 1]), np.array([0, -1, -1]),
                              np.array([-1, 3, 0]), np.array([-1, 0]), [-1, 0, 0],
                              np.array([-1.0, 0.0, 0.0])],
                "test_metrics": [True], "every": [3, 100], "steps": [10**12],
                "theta0": [THETA, np.vstack([THETA, np.full(P, np.nan)])]},
         names={"test_metrics": ("test_metrics", "X_test", "test")}),
    Case("perturbation_ensemble", nc.perturbation_ensemble,
         dict(ENS, scope="weights", start=0, theta0=None, init_scale=1.0, init_scheme="normal",
              test_metrics=False),
         examples=60,
         extra={"scope": ["all", "biases"], "start": [3],
                "theta0": [THETAS, THETA, np.zeros((0, P))],
                "init_scheme": ["he", "bogus"], "eps": [0.0]},
         names={"theta0": ("theta0", "n_init"), "n_init": ("n_init", "theta0")}),
    Case("eps_sweep", nc.eps_sweep,
         dict(model=MODEL, data=DATA, lr=1.0, steps=12, eps_values=[1e-6, 1e-8], n_init=2,
              n_pert=1, seed=0, fit_kwargs=SWEEP_FIT, mle_kwargs=SWEEP_MLE),
         examples=40,
         extra={"eps_values": [[1e-6, 1e-6], [0.0, 1e-3], [-1e-3], []],
                "fit_kwargs": [{"min_window": 2}, {"bogus": 1}, {"min_window": 100},
                               {"starts": "x"}],
                "mle_kwargs": [{"ci": 2.0}, {"bogus": 1}, {"n_boot": -1}, {"seed": "x"}]},
         names={"fit_kwargs": ("fit_kwargs", "min_window", "starts", "bogus", "steps"),
                "mle_kwargs": ("mle_kwargs", "ci", "n_boot", "seed", "bogus"),
                "steps": ("steps", "min_window")}),
    Case("lr_sweep", nc.lr_sweep,
         dict(model=MODEL, data=DATA, lr_values=[0.5, 1.0], steps=12, eps=1e-6, n_init=2,
              n_pert=1, seed=0, fit_kwargs=SWEEP_FIT, mle_kwargs=SWEEP_MLE, chunk_size=None,
              executor=None),
         examples=40,
         extra={"lr_values": [[1.0, 1.0], [0.0, 1.0], [-1.0], [], [1e300]],
                "chunk_size": [1, 5], "executor": [ThreadPoolExecutor(1)]},
         names={"steps": ("steps", "min_window")}),
    Case("finite_lyapunov", nc.finite_lyapunov,
         dict(distances=DIST, min_window=5, starts=None, lengths=None, max_steps=None,
              saturation=True, saturation_fraction=0.1, min_rise=1.0),
         examples=80,
         extra={"lengths": ["all", [5, 10], [2], [], "some"], "starts": [3, [0, 5], [-1], []],
                "saturation": [False, 10, np.array([10, 20]), np.array([10, 20, 30]), [-1, 3]],
                "max_steps": [5, 39, 1000], "distances": [-DIST, np.zeros((2, 40))]}),
    Case("network_mle", nc.network_mle,
         dict(fl=nc.finite_lyapunov(DIST, min_window=5), r2=None, min_r2=0.9, min_exponent=0.05,
              n_boot=50, ci=0.95, seed=0),
         examples=60,
         extra={"fl": [np.array([0.1, 0.2, np.nan]), [0.3, 0.4], np.array([np.inf, 0.1])],
                "r2": [np.array([0.95, 0.99])], "ci": [1.0, 0.0]},
         names={"r2": ("r2", "fl")}),
    Case("displacement", nc.displacement, dict(params=PARAMS, floor=0.0), examples=30),
    Case("path_length", nc.path_length, dict(params=PARAMS), examples=30),
    Case("ablation_importance", nc.ablation_importance,
         dict(model=MODEL, theta=THETA, X=X, y=Y, scope="all", chunk=8), examples=30),
    Case("lyapunov_spectrum", nc.lyapunov_spectrum,
         dict(model=MODEL, data=DATA, theta=THETA, lr=1.0, steps=6, k=3, transient=2, renorm=2,
              seed=0, keep_q=False),
         examples=50,
         extra={"k": [None, P, P + 1], "keep_q": [True]},
         names={"model": ("model", "step", "jacobian", "x0", "data", "theta", "lr", "X", "y",
                          "X_train", "y_train")}),
    Case("lyapunov_spectrum_map", nc.lyapunov_spectrum,
         dict(step=henon_step, jacobian=henon_jac, x0=np.array([0.1, 0.1]), steps=20, k=2,
              transient=5, seed=0),
         examples=40,
         extra={"step": [lambda x: x, np.sin, "f", lambda x: x * 1j],
                "jacobian": [lambda x: np.eye(3), np.cos, lambda x: 1j * np.eye(2)],
                "x0": [[0.1], [0.1, 0.1, 0.1], 0.1]},
         names={"step": ("step", "jacobian", "x0"), "jacobian": ("jacobian", "x0", "step"),
                "x0": ("x0", "step", "jacobian", "k")}),
    Case("covariant_vectors", nc.covariant_vectors,
         dict(model=MODEL, data=DATA, theta=THETA, lr=1.0, steps=4, k=2, n_forward=3,
              n_backward=3, renorm=1, seed=0, check=False),
         examples=40,
         names={"model": ("model", "step", "jacobian", "x0", "data", "theta", "lr", "X", "y",
                          "X_train", "y_train")}),
    Case("angles", lambda i, j: _CLV.angles(i, j), dict(i=0, j=1), examples=20),
    Case("predict", lambda ftle: _FTLE.predict(ftle), dict(ftle=np.array([0.1, -0.2, 0.3])),
         examples=20, extra={"ftle": [np.ones((3, 2)), np.ones((3, 0)), [np.nan, 1.0]]}),
    Case("sharpness", nc.sharpness,
         dict(model=MODEL, theta=THETA, X=X, y=Y, method="lanczos", k=1, tol=1e-8, maxiter=None,
              seed=0),
         examples=50, extra={"method": ["power", "LANCZOS", "arnoldi"], "k": [P, 3]}),
    Case("sharpness_series", nc.sharpness_series,
         dict(model=MODEL, data=DATA, theta0=THETA, lr=1.0, steps=4, every=2, method="power",
              k=1, tol=1e-6, maxiter=200, seed=0),
         examples=40),
    Case("ftle_vs_final_loss", nc.ftle_vs_final_loss,
         dict(model=MODEL, data=DATA, lr=1.0, n_init=4, t_early=3, t_final=5, k=1, seed=0,
              theta0=None, init_scale=1.0, init_scheme="normal", loss_threshold=None),
         examples=30,
         extra={"loss_threshold": [0.5, np.nan]},
         names={"n_init": ("n_init", "theta0")}),
    Case("acf", nc.acf, dict(series=SERIES, nlags=10, n_surrogates=20, seed=0, alpha=0.05),
         examples=60, extra={"series": [np.ones(50), SERIES[:5]], "nlags": [159, 160]}),
    Case("kantz", nc.kantz,
         dict(series=SERIES, dims=(2, 3), delay=1, eps=None, n_eps=2, max_steps=8, theiler=0,
              window=None, n_surrogates=3, surrogate="phase", future="last", alpha=0.3,
              max_pairs=10_000, seed=0),
         examples=60,
         extra={"dims": [[], [2, 0], 40, [2.5], "23"], "window": [(1, 5), (5, 1), (0, 100), "ab"],
                "eps": [0.01, [0.01, 0.02], [-0.1], []], "surrogate": ["shuffle", "iaaft", "x"],
                "future": ["first", "mean", "x"], "theiler": [None, 60],
                "series": [np.ones(160), SERIES[:30]]},
         names={"dims": ("dims", "series"), "max_steps": ("max_steps", "series", "window"),
                "delay": ("delay", "series"), "theiler": ("theiler", "series"),
                "n_eps": ("n_eps",), "window": ("window", "max_steps")}),
    Case("rosenstein", nc.rosenstein,
         dict(series=SERIES, dim=3, delay=1, theiler=0, max_steps=8, window=None, n_surrogates=3,
              surrogate="phase", alpha=0.3, seed=0),
         examples=60,
         extra={"window": [(1, 5), (5, 1), (0, 100)], "theiler": [None, 60],
                "series": [np.ones(160), SERIES[:30]]},
         names={"dim": ("dim", "series"), "max_steps": ("max_steps", "series", "window"),
                "delay": ("delay", "series"), "theiler": ("theiler", "series"),
                "window": ("window", "max_steps")}),
    Case("laminar_phases", nc.laminar_phases,
         dict(series=PERIODIC, period=None, tol=None, min_length=None, max_period=6),
         examples=60, extra={"period": [3, 89, 90], "min_length": [4, 3, 1000],
                             "series": [np.ones(20), PERIODIC[:4]]},
         names={"period": ("period", "series"), "max_period": ("max_period", "series"),
                "min_length": ("min_length", "period")}),
    Case("dominant_period", nc.dominant_period, dict(series=PERIODIC, max_period=6, tol=None),
         examples=40, names={"max_period": ("max_period", "series")}),
    Case("laminar_length_stats", nc.laminar_length_stats, dict(lengths=np.array([3, 5, 9, 12, 4])),
         examples=30),
    Case("delay_embed", nc.delay_embed, dict(series=SERIES, dim=3, delay=2), examples=40,
         names={"dim": ("dim", "series"), "delay": ("delay", "series")}),
    Case("Dataset", datasets.Dataset,
         dict(X_train=X, y_train=Y, X_test=X[:5], y_test=Y[:5], description="", task=None,
              n_classes=None),
         examples=80,
         extra={"task": ["regression", "classification", "ranking"], "n_classes": [3, 2, 0, 2.0],
                "y_train": [Y + 0.5, Y.astype(float) + 0.5, -Y]},
         names={"X_train": ("X_train", "X_test"), "y_train": ("y_train", "y_test", "n_classes"),
                "y_test": ("y_test", "y_train", "X_test", "n_classes"),
                "X_test": ("X_test", "y_test"), "task": ("task", "y_train", "y_test", "n_classes"),
                "n_classes": ("n_classes", "y_train", "y_test")}),
    Case("iris", datasets.iris, dict(seed=0, standardize=False, n_train=120), examples=25),
    Case("digits", datasets.digits, dict(seed=0, n_train=1437, standardize=False, scale=True),
         examples=15),
    Case("regression_target", datasets.regression_target, dict(X=REG_X), examples=20),
    Case("regression", datasets.regression, dict(n_train=20, n_test=5, noise=0.1, seed=0,
                                                 n_features=1), examples=30),
    Case("load", datasets.load, dict(name="iris"), examples=15,
         extra={"name": ["digits", "IRIS", "cifar"]}),
    Case("save", nc.save, dict(result=nc.finite_lyapunov(DIST, min_window=5),
                               path=os.path.join(SAVE_DIR, "r.npz"), metadata={"a": 1}),
         examples=30, skip=("path",),
         extra={"result": [{"a": np.arange(3)}, {"a": np.array([None])}, [1, 2], _CLV],
                "metadata": [{"a": np.nan}, {"a": object()}, {1: 2}, {"a": np.arange(2)}]}),
]


# --------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------
def _names_arg(msg, names):
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", msg) for n in names)


def _call(case, kwargs, changed):
    CALLS["n"] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        # documented non-convergence warning of the eigenvalue solvers
        warnings.filterwarnings("ignore", message="sharpness: ", category=RuntimeWarning)
        # documented warning of an unconverged CLV forward transient (the case's n_forward=3)
        warnings.filterwarnings("ignore", message="covariant_vectors: the forward transient",
                                category=RuntimeWarning)
        try:
            with io.StringIO() as sink, _redirect_stderr(sink):
                case.fn(**kwargs)
        except (ValueError, TypeError) as exc:
            CALLS["error"] += 1
            names = tuple(n for a in changed for n in case.accepted(a))
            assert _names_arg(str(exc), names), (
                f"{case.name}: {type(exc).__name__} does not name any of {names}: {exc!s}\n"
                f"changed: { {a: kwargs[a] for a in changed} !r}")
            return
        except Exception as exc:  # noqa: BLE001 - any other type is the failure under test
            raise AssertionError(
                f"{case.name}: {type(exc).__name__} instead of ValueError/TypeError: {exc}\n"
                f"changed: { {a: kwargs[a] for a in changed} !r}") from exc
    CALLS["ok"] += 1


def _redirect_stderr(sink):
    from contextlib import redirect_stderr

    return redirect_stderr(sink)


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    shutil.rmtree(SAVE_DIR, ignore_errors=True)
    line = (f"fuzz: {CALLS['n']} calls ({CALLS['ok']} succeeded, {CALLS['error']} raised "
            f"ValueError/TypeError naming the argument)")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + line)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fuzz_public_api(case):
    fuzzable = sorted(a for a in case.base if a not in case.skip)

    @settings(max_examples=EXAMPLES_FACTOR * case.examples, deadline=None, database=None,
              derandomize=True, suppress_health_check=list(HealthCheck), print_blob=False)
    @given(data=st.data())
    def run(data):
        n_changed = min(len(fuzzable),
                        data.draw(st.sampled_from([1, 1, 1, 2]), label="n_changed"))
        changed = data.draw(st.lists(st.sampled_from(fuzzable), min_size=n_changed,
                                     max_size=n_changed, unique=True), label="changed")
        kwargs = dict(case.base)
        for a in changed:
            kwargs[a] = data.draw(case.values(a), label=a)
        _call(case, kwargs, changed)

    run()


def test_baselines_are_valid():
    """Every baseline call succeeds, so each fuzz failure is due to the changed argument."""
    for case in CASES:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            case.fn(**case.base)


# --------------------------------------------------------------------------
# saved files: any bytes, and damaged copies of a good file
# --------------------------------------------------------------------------
_SAVED = {"fit": nc.finite_lyapunov(DIST, min_window=5), "x": np.arange(5.0)}


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "good.npz"
    nc.save(_SAVED, path)
    return path.read_bytes()


def _load_checked(path, original=None):
    CALLS["n"] += 1
    before = path.read_bytes()
    try:
        back = nc.load(path)
    except ValueError as exc:
        CALLS["error"] += 1
        assert str(path) in str(exc), exc
    else:
        CALLS["ok"] += 1
        assert original is not None, "arbitrary bytes loaded as a result"
        from test_io import assert_identical

        assert_identical(back, original)
    assert path.read_bytes() == before


@settings(max_examples=EXAMPLES_FACTOR * 40, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(blob=st.one_of(st.binary(max_size=400),
                      st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
                      st.binary(max_size=200).map(lambda b: b"\x93NUMPY" + b)))
def test_fuzz_load_arbitrary_bytes(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("blob") / "x.npz"
    path.write_bytes(blob)
    _load_checked(path)


@settings(max_examples=EXAMPLES_FACTOR * 60, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_load_damaged_files(tmp_path_factory, good_bytes, data):
    raw = bytearray(good_bytes)
    kind = data.draw(st.sampled_from(["truncate", "flip", "zero"]), label="kind")
    if kind == "truncate":
        raw = raw[:data.draw(st.integers(0, len(raw) - 1), label="keep")]
    else:
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        width = data.draw(st.integers(1, 16), label="width")
        for i in range(at, min(len(raw), at + width)):
            raw[i] = 0 if kind == "zero" else raw[i] ^ 0xFF
    path = tmp_path_factory.mktemp("damaged") / "x.npz"
    path.write_bytes(bytes(raw))
    _load_checked(path, _SAVED)


@pytest.mark.parametrize("name, arg, value", [
    ("init", "n", 10**13),                                   # the size check before allocating
    ("train", "steps", 10**12),
    ("perturbation_ensemble", "theta0", np.zeros((0, P))),   # no initial condition
    ("lyapunov_spectrum_map", "step", lambda x: x * 1j),     # complex map values
    ("lyapunov_spectrum_map", "jacobian", lambda x: 1j * np.eye(2)),
])
def test_fuzz_values_of_the_new_checks(name, arg, value):
    """Each of these values is refused by a ValueError/TypeError naming the argument."""
    case = next(c for c in CASES if c.name == name)
    before = CALLS["error"]
    _call(case, dict(case.base, **{arg: value}), [arg])
    assert CALLS["error"] == before + 1
