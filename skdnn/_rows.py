"""The rows of a big batch a chunk at a time, and the chunks among threads.

A batch of more than ``RowChunks.rows`` rows (2 048 for a widest layer of
256 units, more for narrower networks) is cut into *chunks* of nearly equal
size, at most ``rows`` each, and the chunks into at most 16 *slots* of
consecutive chunks. The threads take the slots one after the other; each
runs course steps 2-4 on its slot's chunks, through buffers of one chunk,
into the slot's gradient buffer, and the slots' costs and gradients add up,
in order, to the batch's (every chunk is normalised by the whole batch's
``sum(s)``). While a fit does this, BLAS runs on one thread per thread
(:func:`skdnn._parallel.row_threads`).

Why: the products of a tall batch on BLAS's own threads leave NumPy's
element-wise passes (bias, activation, its derivative) single-threaded and
out of the cache. Measured on 2 cores, 8 full-batch iterations of the whole
algorithm (in bare NumPy), against the products alone on BLAS's 2 threads
(the floor of ``benchmarks/solvers.py``, section 3):

===============================  =========  =========
20 000 x 100, hidden (256, 128)  float64    float32
===============================  =========  =========
one pass, BLAS on 2 threads      1.38x      1.45x
chunks of 2 048, one thread      1.08x      1.20x
chunks of 2 048, two threads     0.85x      0.87x
===============================  =========  =========

On 100 000 x 50 with hidden (100,): 1.55x, 1.13x and 0.67x; chunks of
1 024 rows were slower (0.78x), of 4 096 and 8 192 about the same (0.72x).
Chunks of 2 048 rows made narrow networks slower, up to 2.1x (5 000 x 10,
hidden (10,), adam full batch): hence :attr:`RowChunks.ELEMENTS`. With it,
skdnn's full-batch adam iteration took 0.69-1.02x its one-pass time on six
shapes from 5 000 x 10 with hidden (10,) to 100 000 x 10 with hidden (16,).

The sums come in a different order than in one pass: the results agree
with it to rounding. They do not depend on the number of threads: the
slots, and the order of their sums, depend on the batch and the network
only.
"""

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from itertools import pairwise

from ._parallel import row_threads


class RowChunks:
    """Splits ``m`` rows into slots of chunks, and runs the slots on threads.

    A *slot* is a run of consecutive chunks that one thread computes one
    after the other into the slot's own gradient buffer; the threads take
    the next slot as they finish one, and the slots' sums are added in
    order. The slots depend on ``m``, the chunk size and the gradient's
    size only, so the results do not depend on the number of threads, and
    a thread slowed down (by another process, or OpenBLAS's spinning
    threads) takes fewer slots instead of holding the others up.

    Parameters
    ----------
    threads : int, default=1
        Threads to run the slots on (the calling thread is one of them).
    width : int, default=1
        The widest layer: a chunk has :attr:`ELEMENTS` values of it, at
        most (``rows = ELEMENTS // width``).
    gradient_bytes : int, default=0
        Size of one slot's gradient buffer: the slots' buffers take at most
        :attr:`SLOT_BYTES` (but one slot per thread).
    """

    #: Values of the widest layer in a chunk: 2 048 rows of 256 units, 4 MB
    #: in float64. Narrow networks get longer chunks: their per-chunk work
    #: would not pay for the threads and the calls.
    ELEMENTS = 2**19

    #: Slots of a batch, at most. Measured on 2 threads (20 000 x 100,
    #: hidden (256, 128), 10 chunks): 10 slots of one chunk, or 2 of five,
    #: 28-29 ms an iteration in float32; 4 or 8 slots of 2 or 3 chunks, 33
    #: ms (the thread that takes the last long slot finishes alone).
    SLOTS = 16

    #: Bytes of all the slots' gradient buffers, at most: 64 MiB (16 slots
    #: of a network of 500 000 float64 parameters).
    SLOT_BYTES = 2**26

    def __init__(self, threads=1, width=1, gradient_bytes=0):
        if threads < 1:
            raise ValueError(f"threads must be at least 1; got {threads}.")
        self.threads = threads
        self.rows = max(1, self.ELEMENTS // width)
        fit = self.SLOT_BYTES // gradient_bytes if gradient_bytes else self.SLOTS
        self.max_slots = max(threads, min(self.SLOTS, fit))
        self._pool, self._slots = None, {}

    def slots(self, m):
        """The chunks' ``(start, stop)`` rows, one list per slot, in row
        order: chunks of nearly equal size, at most ``max_slots`` slots of
        nearly as many chunks, none empty."""
        slots = self._slots.get(m)
        if slots is None:  # a fit has two batch sizes at most: 2 us a batch
            # slots of whole chunks: chunks cut from each slot's rows would be
            # smaller (1 250 rows for 20 000), and 1 024 ran 15 % slower
            chunks = _chunks(0, m, self.rows)
            n_slots = min(self.max_slots, len(chunks))
            bounds = [len(chunks) * i // n_slots for i in range(n_slots + 1)]
            slots = [chunks[start:stop] for start, stop in pairwise(bounds)]
            self._slots[m] = slots
        return slots

    def workers(self, m):
        """Threads that :meth:`map` runs on for ``m`` rows."""
        return min(self.threads, len(self.slots(m)))

    def buffer_rows(self, max_rows):
        """Rows a chunk's buffers need for batches of up to ``max_rows``."""
        return max(1, min(max_rows, self.rows))

    def map(self, function, m):
        """``[function(worker, i, chunks_i) for each slot i]`` of
        :meth:`slots`, on :meth:`workers` threads (``worker`` is the
        thread's number, for its buffers); the results in the slots' order.

        Every thread has stopped when this returns, even when one raised:
        they write into buffers their caller owns.
        """
        slots = self.slots(m)
        results, failed = [None] * len(slots), []
        taken, lock = iter(range(len(slots))), threading.Lock()

        def work(worker):
            while not failed:
                with lock:
                    i = next(taken, None)
                if i is None:
                    return
                try:
                    results[i] = function(worker, i, slots[i])
                except BaseException:
                    failed.append(i)  # the other threads take no more slots
                    raise

        workers = self.workers(m)
        if workers == 1:
            work(0)
            return results
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.threads - 1, thread_name_prefix="skdnn-rows"
            )
        # each thread in a copy of the caller's context: np.errstate with it
        futures = [
            self._pool.submit(contextvars.copy_context().run, work, worker)
            for worker in range(1, workers)
        ]
        try:
            work(0)
        finally:
            wait(futures)
        for future in futures:
            future.result()
        return results

    def close(self):
        """Stop the threads."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _chunks(start, stop, rows):
    """``[start, stop)`` as consecutive ranges of at most ``rows`` rows, of
    nearly equal sizes."""
    n = max(1, -(-(stop - start) // rows))
    bounds = [start + (stop - start) * i // n for i in range(n + 1)]
    return list(pairwise(bounds))


def widest(coefs):
    """The width of the widest layer of the network of ``coefs``."""
    return max(W.shape[1] for W in coefs)


@contextmanager
def chunk_threads(max_rows, coefs):
    """The threads a fit whose largest batch has ``max_rows`` rows runs the
    chunks of the network of ``coefs`` on (see
    :func:`skdnn._parallel.row_threads`): 1, and BLAS left alone, when a
    batch is one chunk or has fewer chunks than the fit has cores (its
    products then use BLAS's threads)."""
    rows = RowChunks(width=widest(coefs)).rows
    if max_rows <= rows:
        yield 1
        return
    with row_threads(max_rows // rows) as threads:
        yield threads
