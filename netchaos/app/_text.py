"""Numbers in the printed summaries and the explorers' summary lines."""

from .._results import fmt


def na(x, digits=3):
    """``x`` in ``digits`` significant digits, ``n/a`` when it is None or not finite."""
    return fmt(x, digits, missing="n/a")
