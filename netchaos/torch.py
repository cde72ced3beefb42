"""``netchaos.torch``: the PyTorch adapter (:mod:`netchaos.adapters.torch`); imports torch."""

from .adapters.torch import LAYOUTS, TorchModel  # noqa: F401

__all__ = ["TorchModel", "LAYOUTS"]
