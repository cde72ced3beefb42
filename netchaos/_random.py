"""Seeds: one integer entropy per run, independent streams derived from it by key."""

import numbers

import numpy as np

from ._validate import check_int

__all__ = ["seed_entropy", "stream", "subseed", "check_seed", "INIT_STREAM", "PERT_STREAM",
           "BOOT_STREAM"]

# stream keys of a run: (INIT_STREAM,) initial conditions, (PERT_STREAM, k) perturbations
# (k = perturbation stream of a sweep value, 0 by default), (BOOT_STREAM,) the bootstrap of
# the network MLE
INIT_STREAM, PERT_STREAM, BOOT_STREAM = 0, 1, 2


def seed_entropy(seed):
    """One integer from which every random stream of a run is derived.

    ``None`` draws fresh OS entropy; an int is used as is; a Generator gives
    one draw (so the caller's generator advances); a SeedSequence gives its
    entropy.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError("seed must be an int, a numpy Generator, a SeedSequence or None, "
                        f"got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return int(seed)


def stream(entropy, *key):
    """An independent Generator for the stream ``key`` of run ``entropy``."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=tuple(key)))


def subseed(seed, *key):
    """An independent integer seed for stream ``key`` of run ``seed``."""
    return int(np.random.SeedSequence(int(seed), spawn_key=tuple(key)).generate_state(1)[0])


def check_seed(seed, name="seed"):
    """An explicit non-negative integer seed (the explorers' and experiments' form)."""
    return check_int(seed, name, minimum=0)
