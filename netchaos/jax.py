"""``netchaos.jax``: the JAX adapter (:mod:`netchaos.adapters.jax`); imports jax."""

from .adapters.jax import JaxModel  # noqa: F401

__all__ = ["JaxModel"]
