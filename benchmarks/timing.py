"""Timing with alternating repeats: every repeat runs each contender once, in
the same order (A B C A B C ...), so that a slow spell of the machine (another
process, a frequency change) hits all contenders alike. Results are medians."""

import gc
import math
import os
import resource
import statistics
import time


def _time_once(fn):
    """Seconds that ``fn()`` takes, the garbage collector paused (as timeit)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def cpu_seconds(fn):
    """CPU seconds of this process (all its threads) that ``fn()`` takes, the
    garbage collector paused: unlike :func:`_time_once`, what the other
    processes of a shared machine do does not count."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.process_time()
        fn()
        return time.process_time() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def alternate(fns, repeats, warmup=True):
    """Time every callable of the dict ``fns`` ``repeats`` times, alternating.

    Returns ``{name: [seconds, ...]}``. With ``warmup`` each callable is run
    once, untimed, first (lazy imports, first-touch page faults, BLAS threads).
    """
    if warmup:
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(_time_once(fn))
    return times


def per_iteration(runners, iterations, repeats):
    """Median seconds per training iteration of each runner ``run(k)``.

    Each repeat times ``run(k_lo)`` and ``run(k_hi)`` and takes
    ``(t_hi - t_lo) / (k_hi - k_lo)``: what a fit costs regardless of its
    length (input validation, the copy or cast of ``X``, weight init, the
    first-touch page faults of the buffers) cancels. The median is over the
    repeats' differences. One untimed ``run(k_lo)`` of each runner comes
    first, as warm-up.

    Returns ``{name: (seconds, dtype_name)}`` with the dtype that the
    warm-up run reports it trained in.
    """
    k_lo, k_hi = iterations
    trained_in = {name: run(k_lo) for name, run in runners.items()}
    fns = {}
    for name, run in runners.items():
        fns[name, k_lo] = lambda run=run: run(k_lo)
        fns[name, k_hi] = lambda run=run: run(k_hi)
    times = alternate(fns, repeats, warmup=False)
    return {
        name: (
            statistics.median(
                (hi - lo) / (k_hi - k_lo)
                for lo, hi in zip(times[name, k_lo], times[name, k_hi], strict=True)
            ),
            trained_in[name],
        )
        for name in runners
    }


def medians(fns, repeats, warmup=True):
    """Median seconds of each callable over alternating repeats."""
    return {
        name: statistics.median(times)
        for name, times in alternate(fns, repeats, warmup).items()
    }


class OthersCpu:
    """Context manager: the share of the machine's CPU time that *other*
    processes (and the hypervisor, as steal time) used while the block ran,
    in percent of all cores; ``nan`` where ``/proc/stat`` does not exist.

    Timings taken while it is high are slowed by competition, not by the
    code under test.
    """

    def __enter__(self):
        self.percent = math.nan
        self._start = (_machine_busy_seconds(), _own_cpu_seconds(), time.time())
        return self

    def __exit__(self, *exc_info):
        busy, own, wall = (
            end - start
            for end, start in zip(
                (_machine_busy_seconds(), _own_cpu_seconds(), time.time()),
                self._start,
                strict=True,
            )
        )
        cores = os.cpu_count() or 1
        if not math.isnan(busy) and wall > 0:
            self.percent = max(0.0, 100 * (busy - own) / (wall * cores))


def _machine_busy_seconds():
    """CPU seconds all processes used since boot: user, nice, system, irq,
    softirq and steal of the ``cpu`` line of ``/proc/stat``."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return math.nan
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    ticks = user + nice + system + irq + softirq + steal
    return ticks / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
