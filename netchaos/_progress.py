"""The one progress bar of the package: ``tqdm.auto`` (a widget in Jupyter, text in a terminal)."""

__all__ = ["progress_bar"]


def progress_bar(progress, total, desc, unit="it", initial=0):
    """A ``tqdm.auto`` bar of ``total`` ticks, or None when ``progress`` is false or nothing runs.

    Parameters
    ----------
    progress : bool
        Whether to show a bar.
    total : int
        Number of ticks.
    desc : str
        Label in front of the bar.
    unit : str, optional
        Name of one tick (``"step"``, ``"chunk"``, ...).
    initial : int, optional
        Ticks already done (a resumed run).

    Returns
    -------
    tqdm.auto.tqdm or None
    """
    if not progress or total == 0:
        return None
    from tqdm.auto import tqdm  # imported here: tqdm.auto probes for Jupyter

    return tqdm(total=total, desc=desc, unit=unit, initial=initial)
