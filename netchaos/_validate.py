"""Argument checks shared by the public API: clear errors that name the argument."""

import numbers
import os

import numpy as np

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: Initial-weight schemes of :meth:`netchaos.MLP.init`, by accepted name.
INIT_SCHEMES = {"normal": "normal", "glorot": "glorot", "xavier": "glorot", "he": "he",
                "kaiming": "he"}
#: Which parameters a perturbation or an ablation touches.
SCOPES = ("weights", "all")


def as_array(value, name):
    """``numpy.asarray(value)``, with a TypeError naming ``name`` for ragged or odd input."""
    try:
        return np.asarray(value)
    except Exception as exc:  # ragged lists etc.
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None


def to_numpy(value, name):
    """A framework tensor (torch, JAX, anything with ``__array__``) as a numpy array, detached
    from any autograd graph and on the CPU; numpy arrays and other objects unchanged."""
    if isinstance(value, np.ndarray) or not hasattr(value, "__array__") \
            or isinstance(value, type):
        return value
    if hasattr(value, "detach"):              # torch: off the graph and onto the CPU
        value = value.detach().cpu()
        if str(getattr(value, "dtype", "")) in ("torch.bfloat16", "torch.float16"):
            value = value.float()
    try:
        return np.asarray(value)
    except Exception as exc:
        raise TypeError(f"{name}: converting its {type(value).__name__} to a numpy array "
                        f"failed: {exc}") from None


_AXES = ("init", "pert", "t")


def distance_layout(arr, layout):
    """A recorded distance array with its axes named by ``layout`` as (n_init, n_pert, T).

    ``layout`` names the axes in order, comma-separated, among ``"init"``, ``"pert"`` and
    ``"t"`` (``"pert,t"``, ``"t,pert"``, ...); None means ``"init,pert,t"`` for 3-D and
    ``"t"`` for 1-D input, and is refused for 2-D input, which is ambiguous.
    """
    shape, ndim = arr.shape, arr.ndim
    if layout is None:
        if ndim == 2:
            raise ValueError(
                f"distances of shape {shape} is ambiguous: name its axes with layout='pert,t' "
                f"(one initial condition's perturbations), 't,pert' (the same, time first), "
                f"'init,t' (one series per initial condition, e.g. the means over the "
                f"perturbations) or 't,init'")
        layout = "init,pert,t" if ndim == 3 else "t"
    if not isinstance(layout, str):
        raise TypeError(f"layout must be a string such as 'pert,t', got {type(layout).__name__}")
    names = [a.strip() for a in layout.split(",")]
    if len(names) != ndim or len(set(names)) != ndim or not set(names) <= set(_AXES) \
            or "t" not in names:
        raise ValueError(f"layout {layout!r} must name the {ndim} axes of distances (shape "
                         f"{shape}) with distinct names among 'init', 'pert', 't', 't' included")
    for a in _AXES:
        if a not in names:
            arr = arr[..., None]
            names.append(a)
    return np.transpose(arr, [names.index(a) for a in _AXES])


def as_numeric(value, name):
    """``value`` as a numpy array of a real numeric (or bool) dtype, unconverted."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    arr = as_array(value, name)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real-valued, got dtype {arr.dtype}")
    return arr


def as_float_array(value, name, ndim=None, finite=True):
    """Return ``value`` as a C-contiguous float64 array, checking its dimension and finiteness."""
    arr = np.ascontiguousarray(as_numeric(value, name), dtype=np.float64)
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in dims:
            want = " or ".join(str(d) for d in dims)
            raise ValueError(f"{name} must be {want}-dimensional, got shape {arr.shape}")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_int(value, name, minimum=None, maximum=None):
    """Return ``value`` as a Python int after checking its type and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"{name} must fit in a 64-bit integer, got {value}")
    return value


def check_bool(value, name):
    """Return ``value`` as a Python bool; only True/False (or numpy bools) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def check_positive(value, name, allow_zero=False, maximum=None):
    """Return ``value`` as a finite float > 0 (or >= 0), at most ``maximum`` if given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}, got {value}")
    return value


def check_choice(value, name, choices):
    """Return the canonical choice for ``value`` (``choices`` maps aliases to names)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    key = value.lower()
    if key not in choices:
        known = ", ".join(sorted(set(choices.values())))
        raise ValueError(f"unknown {name} {value!r}; expected one of: {known}")
    return choices[key]


def rng_from(seed, name="seed"):
    """A ``numpy.random.Generator`` from an int, a Generator, a SeedSequence or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be an int, a numpy Generator or None, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{name} must be >= 0, got {seed}")
    return np.random.default_rng(int(seed))


def split_data(data):
    """``(X, y, X_test, y_test)`` from a Dataset or an ``(X, y)`` / ``(X, y, X_test, y_test)`` tuple.

    The test arrays are None when not given. Raises a TypeError naming ``data`` otherwise.
    """
    if hasattr(data, "X_train") and hasattr(data, "y_train"):
        return data.X_train, data.y_train, getattr(data, "X_test", None), getattr(data, "y_test", None)
    if isinstance(data, (tuple, list)) and len(data) in (2, 4):
        if len(data) == 2:
            return data[0], data[1], None, None
        return tuple(data)
    raise TypeError("data must be a netchaos.datasets.Dataset or a tuple (X, y) "
                    f"or (X, y, X_test, y_test), got {type(data).__name__}")


#: What each use of a model needs from it.
MODEL_ATTRIBUTES = {
    "train": ("n_params", "weight_mask", "init", "loss"),
    "tangent": ("n_params", "grad", "hvp"),
}

#: The network model protocol of the tangent tools (spectra, covariant vectors, sharpness):
#: the required members first, then the optional ones with the default used without them.
MODEL_PROTOCOL = {
    "n_params": "int: length of the flat float64 parameter vector theta",
    "grad": "grad(theta, X, y) -> ndarray (n_params,): the gradient of the loss",
    "hvp": "hvp(theta, V, X, y) -> H(theta) V, for V of shape (n_params,) or (n_params, k)",
    "loss": "optional: loss(theta, X, y) -> float; called once to check the data",
    "jvp_map": "optional: jvp_map(theta, V, X, y, lr) -> V - lr H(theta) V (default: from hvp)",
    "step_tangent": "optional: step_tangent(theta, V, X, y, lr) -> (theta - lr grad, "
                    "V - lr H V) in one pass (default: grad and jvp_map)",
}


def check_model(model, needs="train"):
    """Check that ``model`` has the attributes a use needs (``MODEL_ATTRIBUTES``).

    Raises a TypeError naming every missing attribute (and, for the tangent tools, the
    protocol ``MODEL_PROTOCOL`` they belong to).
    """
    missing = [attr for attr in MODEL_ATTRIBUTES[needs] if not hasattr(model, attr)]
    if needs == "tangent":
        missing += [attr for attr in ("grad", "hvp") if attr not in missing
                    and not callable(getattr(model, attr))]
        if missing:
            raise TypeError(
                f"model must implement the network model protocol (a netchaos.MLP, a "
                f"netchaos.adapters model or any object with n_params, grad(theta, X, y) and "
                f"hvp(theta, V, X, y)); {type(model).__name__} lacks "
                + ", ".join(f".{a} ({MODEL_PROTOCOL[a]})" for a in missing))
        n = getattr(model, "n_params")
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise TypeError(f"model.n_params must be a positive integer, got {n!r}")
    elif missing:
        raise TypeError(f"model must be a netchaos.MLP (needs .{missing[0]}), "
                        f"got {type(model).__name__}")
    return model


def check_model_data(model, X, y):
    """Check ``X, y`` against ``model`` once, before any iteration: through ``model.loss``
    when the model has one (its messages name X and y), else by their being arrays."""
    if hasattr(model, "loss"):
        model.loss(np.zeros(model.n_params), X, y)
    elif X is None or y is None:
        raise ValueError("data must hold X and y")


def check_scope(scope):
    """``"weights"`` or ``"all"``: which parameters a perturbation or ablation touches."""
    if not isinstance(scope, str):
        raise TypeError(f"scope must be a string, got {type(scope).__name__}")
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    return scope


def check_theta(model, theta, name="theta"):
    """One parameter vector of ``model``: float64 of shape (n_params,) (non-finite allowed)."""
    theta = as_float_array(theta, name, ndim=1, finite=False)
    if theta.shape[0] != model.n_params:
        raise ValueError(f"{name} must have shape ({model.n_params},) for this model, "
                         f"got {theta.shape}")
    return theta


def renamed_keywords(**renames):
    """Decorator: accept the old keyword names ``old=new`` for one version, with a warning.

    Giving both the old and the new name is a TypeError naming both.
    """
    import functools
    import warnings

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {old!r} (deprecated) and "
                                        f"{new!r}; give {new!r} only")
                    warnings.warn(f"{fn.__name__}(): the keyword {old!r} is deprecated; use "
                                  f"{new!r}", DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)
        return inner
    return wrap


def available_memory():
    """Bytes this process can still allocate: the smaller of the system's available memory
    (``MemAvailable``) and what the address-space limit (``RLIMIT_AS``) leaves; None if unknown."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            used = 0
            with open("/proc/self/statm", encoding="ascii") as fh:
                used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            limits.append(max(soft - used, 0))
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return min(limits) if limits else None


def _gib(n):
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def check_memory(nbytes, what, advice=""):
    """Refuse, before allocating, a call whose arrays need more memory than is available.

    ``what`` names the call and its arguments (``"init(n=1000)"``); the ValueError gives the
    size needed and the memory available.
    """
    avail = available_memory()
    if avail is not None and nbytes > avail:
        raise ValueError(f"{what} needs about {_gib(nbytes)} of memory but only {_gib(avail)} is "
                         f"available{'; ' + advice if advice else ''}")
