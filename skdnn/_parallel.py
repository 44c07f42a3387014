"""BLAS threads when several fits run at once.

A grid search or a cross-validation runs many fits at the same time: in
joblib's worker processes (``loky``), in threads (``threading``, a dask worker
with several threads) or in dask worker processes. Each fit spends its time in
BLAS matrix products, and BLAS starts one thread per core by default, so
``n_jobs`` concurrent fits would run ``n_jobs x cores`` threads on ``cores``
cores: slower than running them one after the other.

:func:`blas_thread_limit` wraps the training loop of every fit and caps the
BLAS threads of the fit so that concurrent fits x BLAS threads <= cores.

The rule
--------
1. ``SKDNN_BLAS_THREADS=N`` in the environment (a positive integer) wins: every
   fit uses at most ``N`` BLAS threads.
2. Otherwise the *budget of the process* is the number of BLAS threads it
   has when its first fit starts, at most the cores the process may use
   (:func:`joblib.cpu_count`, which respects CPU affinity and cgroup quotas).
   The launchers of worker processes have already divided the cores between
   processes: joblib's ``loky`` backend starts its workers with
   ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` set to
   ``cores // n_jobs``, and a dask nanny starts its worker processes with
   these variables set to 1 (``distributed.nanny.pre-spawn-environ``). A
   plain process (the driver) has every core. (A dask worker started without
   a nanny, or with those variables removed, cannot see how many worker
   processes share its machine: set ``SKDNN_BLAS_THREADS`` on it.)
3. The budget is shared by the fits that run at the same time *in this
   process*: the fits inside :func:`blas_thread_limit` right now (joblib's
   ``threading`` backend, ``LocalCluster(processes=False)``), and at least the
   number of threads of the dask worker that runs the fit (the active joblib
   backend tells whether we are inside a joblib worker; ``distributed``'s
   ``get_worker`` whether we are inside a dask worker). Each fit gets
   ``max(1, budget // concurrent)`` threads.

A fit alone in its process whose batches are several chunks of rows runs
the chunks on its own threads instead, one per core, with BLAS on one
thread (:func:`row_threads`, :mod:`skdnn._rows`).

BLAS limits are process-wide, so the limit is set when the first fit enters
and adjusted as fits come and go; the original limits come back when the last
fit of the process leaves. A single fit in a plain process is not limited.
(With OpenBLAS built on OpenMP the limit is per thread and only the thread
that sets it obeys it; NumPy's and SciPy's wheels use pthreads.)
"""

import os
import sys
import threading
from contextlib import contextmanager
from functools import lru_cache

import joblib
import threadpoolctl
from joblib.parallel import get_active_backend
from threadpoolctl import ThreadpoolController

#: Environment variable fixing the BLAS threads of every fit.
ENV_VAR = "SKDNN_BLAS_THREADS"

_lock = threading.Lock()
_state = {"running": 0, "budget": None, "limiter": None, "limit": None}
_controller = None


@lru_cache(maxsize=1)
def cpu_count():
    """Cores this process may use (:func:`joblib.cpu_count`: CPU affinity and
    cgroup quotas), found once: reading the cgroup files takes 0.3 ms."""
    return joblib.cpu_count()


def _blas_controller():
    """The BLAS libraries loaded in this process (found once, lazily)."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def blas_threads():
    """The largest number of threads of the BLAS libraries of this process
    (``None`` if threadpoolctl finds none)."""
    counts = [lib.num_threads for lib in _blas_controller().lib_controllers]
    return max(counts) if counts else None


def _env_limit():
    value = os.environ.get(ENV_VAR)
    if value is None or not value.strip():
        return None
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise ValueError(
            f"{ENV_VAR} must be a positive integer (BLAS threads per fit); "
            f"got {value!r}."
        )
    return limit


def _dask_worker_threads():
    """Threads of the dask worker running this code, or 1 outside one."""
    if "distributed" not in sys.modules:  # never import dask just to ask
        return 1
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


def _in_parallel_worker():
    """Whether this code runs inside a joblib worker (a nested backend) or a
    dask worker: then several fits may share the process."""
    backend, _ = get_active_backend()
    return getattr(backend, "nesting_level", 0) >= 1 or _dask_worker_threads() > 1


def threads_per_fit(running=1):
    """BLAS threads a fit may use with ``running`` fits in this process; see
    the module's docstring for the rule. ``None`` means no limit."""
    limit = _env_limit()
    if limit is not None:
        return limit
    budget = _state["budget"] or min(blas_threads() or 1, cpu_count())
    concurrent = max(running, _dask_worker_threads())
    if concurrent <= 1 and not _in_parallel_worker():
        return None
    return max(1, budget // concurrent)


def _release_openblas():
    """threadpoolctl lets only one Python thread (the first to set a limit)
    change a process-wide OpenBLAS pool; the others are silently ignored.
    Every change here is made under ``_lock``, so any thread may make it."""
    controller = getattr(threadpoolctl, "OpenBLASController", None)
    if hasattr(controller, "clear_controlling_thread"):
        controller.clear_controlling_thread(force=True)


def _apply(limit):
    """Set (or, with ``None``, restore) the process's BLAS limit. Under _lock."""
    if limit == _state["limit"]:
        return
    _release_openblas()
    if limit is None:
        _state["limiter"].restore_original_limits()
        _state["limiter"] = None
    elif _state["limiter"] is None:
        _state["limiter"] = _blas_controller().limit(limits=limit)
    else:
        _blas_controller().limit(limits=limit)  # the first limiter restores
    _state["limit"] = limit
    _release_openblas()


@contextmanager
def blas_thread_limit():
    """Limit the BLAS threads of the fit run in the block (see the rule in the
    module's docstring); the limits come back when the last concurrent fit of
    the process leaves its block.

    Examples
    --------
    >>> from skdnn._parallel import blas_thread_limit
    >>> with blas_thread_limit():
    ...     pass  # train here
    """
    with _lock:
        if _state["running"] == 0:
            _state["budget"] = min(blas_threads() or 1, cpu_count())
        _state["running"] += 1
        try:
            _apply(threads_per_fit(_state["running"]))
        except BaseException:
            _leave()
            raise
    try:
        yield
    finally:
        with _lock:
            _leave()


def _leave():
    """One fit fewer: give the others its threads. Under _lock."""
    _state["running"] -= 1
    if _state["running"] == 0:
        _apply(None)
        _state["budget"] = None
    else:
        _apply_rule()


def _apply_rule():
    """Set the BLAS limit the rule gives the fits running now (at least
    one). Under _lock."""
    try:
        limit = threads_per_fit(_state["running"])
    except ValueError:  # SKDNN_BLAS_THREADS changed under us: keep the limit
        return
    _apply(limit if limit is not None else _state["budget"])


def _threads_of_this_fit():
    """The cores a fit alone in its process may use, or 1 if it is not
    alone (concurrent fits share the cores through BLAS). Under _lock."""
    if _state["running"] != 1 or _in_parallel_worker():
        return 1
    return _env_limit() or _state["budget"] or 1


@contextmanager
def row_threads(chunks):
    """For a fit inside :func:`blas_thread_limit` that splits the rows of
    its batches into ``chunks`` chunks, computed on threads
    (:mod:`skdnn._rows`): yields how many threads it may run, and holds
    BLAS on one thread meanwhile (each thread's products then run on its
    own core).

    A fit alone in its process gets its cores (``SKDNN_BLAS_THREADS`` or
    the process's budget) if it has a chunk for each; any other fit gets 1
    thread, and BLAS is left alone. A fit that starts meanwhile sets the
    BLAS limit by the rule of the module's docstring; the threads then
    share the cores with BLAS's.
    """
    with _lock:
        threads = _threads_of_this_fit()
        if threads > chunks:  # BLAS's threads would use more cores
            threads = 1
        if threads > 1:
            _apply(1)
    try:
        yield threads
    finally:
        if threads > 1:
            with _lock:
                _apply_rule()  # BLAS's threads back


def _is_numpys(filepath):
    """Whether a BLAS library file is the one NumPy's products go to (in a
    wheel, under ``numpy.libs/`` or ``numpy/``)."""
    import numpy

    folder = os.path.dirname(numpy.__file__)
    return filepath.startswith(folder) or filepath.startswith(folder + ".libs")


@contextmanager
def other_blas_one_thread():
    """Run the block with every BLAS library that is not NumPy's (SciPy's
    own OpenBLAS, in wheels) on one thread.

    L-BFGS-B's Fortran calls SciPy's BLAS for its small vector products
    between two evaluations of the cost; its threads then go on spinning
    and compete with NumPy's for the cores. Measured on 2 cores (breast
    cancer, hidden (100,)): 1.5 ms per forward pass instead of 0.05 ms.
    Where both libraries are the same file, nothing is limited.
    """
    controller = _blas_controller()
    others = [
        lib.filepath
        for lib in controller.lib_controllers
        if lib.user_api == "blas" and not _is_numpys(lib.filepath)
    ]
    if not others:
        yield
        return
    with controller.select(filepath=others).limit(limits=1):
        yield
