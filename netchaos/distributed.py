"""Running the chunks of a sweep on an executor: a ``dask.distributed.Client`` or any
``concurrent.futures.Executor``.

A sweep is split into chunks, each a pure function of its parameters and seed
(:func:`netchaos.sweeps._run_chunk`), so the result does not depend on where or
in which order the chunks run: a sweep on a cluster is bitwise identical to the
local one. This module only schedules: it submits the chunks that are not done
yet, hands every finished chunk to a callback as it arrives (the sweep saves it
to its checkpoint directory there, so an interruption never loses a finished
chunk), and returns the results in chunk order.

Dask is optional (``pip install netchaos[distributed]``); nothing here imports it
unless a Dask client is passed.
"""

import concurrent.futures as cf
import uuid

__all__ = ["run_chunks", "check_executor", "is_dask_client", "dashboard_link"]


def is_dask_client(executor):
    """True for a ``dask.distributed.Client`` (checked without importing Dask).

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(1) as ex:
    ...     is_dask_client(ex)
    False
    """
    cls = type(executor)
    return cls.__name__ == "Client" and cls.__module__.split(".")[0] == "distributed"


def check_executor(executor):
    """Refuse anything but None, a Dask client or a ``concurrent.futures.Executor``.

    Parameters
    ----------
    executor : object

    Raises
    ------
    TypeError
        For any other object.
    ValueError
        For a ``ProcessPoolExecutor`` that forks its workers (unsafe once
        Numba's thread pool runs in this process).

    Examples
    --------
    >>> check_executor(None)
    >>> check_executor("local")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    TypeError: executor must be a dask.distributed.Client, ... or None, got str
    """
    if executor is None or is_dask_client(executor):
        return
    if not isinstance(executor, cf.Executor):
        raise TypeError("executor must be a dask.distributed.Client, a "
                        "concurrent.futures.Executor or None, got "
                        f"{type(executor).__name__}")
    ctx = getattr(executor, "_mp_context", None)
    if isinstance(executor, cf.ProcessPoolExecutor) and ctx is not None \
            and ctx.get_start_method() == "fork":
        raise ValueError("executor is a ProcessPoolExecutor that forks its workers, which "
                         "is unsafe once Numba's thread pool runs in this process; pass "
                         "mp_context=multiprocessing.get_context('spawn') (or 'forkserver')")


class _WarmUpPlugin:
    """Dask worker plugin: ``fn()`` on every worker, including restarted ones."""

    def __init__(self, fn):
        self.fn = fn
        self.name = f"netchaos-warm-up-{fn.__module__}.{fn.__qualname__}"

    def setup(self, worker):  # noqa: D401 - Dask's plugin interface
        self.fn()


def _on_dask_worker(fn, arg):
    """Run ``fn(arg)`` in a Dask task with Numba's threads capped to the worker's.

    A worker that owns ``nthreads`` cores should not start more Numba threads
    than that (two single-threaded workers on two cores would otherwise each
    start two). The cap only changes the schedule inside Numba's parallel
    loops, never the result (netchaos is bitwise identical for any thread
    count).
    """
    import numba

    try:
        from distributed import get_worker

        n = int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        n = numba.config.NUMBA_NUM_THREADS
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    try:
        return fn(arg)
    finally:
        numba.set_num_threads(before)


def _dask_prepare(client, warm_up):
    """Run ``warm_up`` on every current and future worker, once per client (idempotent)."""
    try:
        from distributed.diagnostics.plugin import WorkerPlugin
    except ImportError:  # pragma: no cover - distributed always has it
        client.run(warm_up)
        return
    plugin = type("NetchaosWarmUp", (_WarmUpPlugin, WorkerPlugin), {})(warm_up)
    client.register_plugin(plugin, name=plugin.name)


def run_chunks(fn, chunks, executor=None, done=None, keys=None, on_result=None,
               retries=2, warm_up=None):
    """Evaluate ``fn(chunk)`` for every chunk not already done; results in chunk order.

    Parameters
    ----------
    fn : callable
        A pure, picklable module-level function of one argument.
    chunks : list
        Arguments of ``fn``.
    executor : dask.distributed.Client, concurrent.futures.Executor or None
        None evaluates in this process, in order.
    done : dict, optional
        ``{index: result}`` of chunks finished earlier (a resumed run); they are
        not recomputed.
    keys : list of str, optional
        Task names for Dask (unique per chunk and run); default derived from
        ``fn`` and the index.
    on_result : callable, optional
        ``on_result(index, result)`` in this process as each chunk finishes
        (save it, update a progress bar); exceptions propagate.
    retries : int, default 2
        Extra attempts of a chunk whose task raised on a Dask worker. A worker
        that dies mid-chunk is handled by the Dask scheduler itself: the task
        is rerun elsewhere, and being pure it yields the same result.
    warm_up : callable, optional
        A picklable module-level function of no argument that Dask workers
        run once when they join (to load compiled kernels before the first
        chunk).

    Returns
    -------
    list
        ``fn(chunks[i])`` for every ``i``.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(2) as ex:
    ...     run_chunks(abs, [-1, -2, 3], ex)
    [1, 2, 3]

    Chunks in ``done`` are not recomputed; ``on_result`` sees the others:

    >>> seen = []
    >>> run_chunks(abs, [-1, -2, 3], done={0: 1}, on_result=lambda i, r: seen.append(i))
    [1, 2, 3]
    >>> seen
    [1, 2]
    """
    check_executor(executor)
    results = dict(done or {})
    todo = [i for i in range(len(chunks)) if i not in results]

    def finish(i, r):
        results[i] = r
        if on_result is not None:
            on_result(i, r)

    if executor is None:
        for i in todo:
            finish(i, fn(chunks[i]))
    elif is_dask_client(executor):
        from distributed import as_completed

        if warm_up is not None:
            _dask_prepare(executor, warm_up)
        name = getattr(fn, "__name__", "chunk")
        token = uuid.uuid4().hex[:12]  # task names unique to this call
        futs = {}
        for i in todo:
            key = keys[i] if keys is not None else f"netchaos-{name}-{token}-{i}"
            futs[executor.submit(_on_dask_worker, fn, chunks[i], key=key, pure=False,
                                 retries=retries)] = i
        try:
            for fut in as_completed(list(futs)):
                finish(futs[fut], fut.result())
        finally:
            for fut in futs:
                if not fut.done():
                    fut.cancel()
    else:
        futs = {executor.submit(fn, chunks[i]): i for i in todo}
        try:
            for fut in cf.as_completed(futs):
                finish(futs[fut], fut.result())
        finally:
            for fut in futs:
                fut.cancel()
    return [results[i] for i in range(len(chunks))]


def dashboard_link(executor):
    """The Dask dashboard address of ``executor``, or None.

    Examples
    --------
    >>> print(dashboard_link(None))   # not a Dask client
    None
    """
    if is_dask_client(executor):
        return getattr(executor, "dashboard_link", None)
    return None
