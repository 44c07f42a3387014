"""The rows of a big batch a chunk at a time, and the chunks among threads.

A batch of more than ``RowChunks.rows`` rows (2 048 for a widest layer of
256 units, more for narrower networks) is split into contiguous *parts*,
one per thread, and each part into *chunks* of at most ``rows`` rows. Each
thread runs course steps 2-4 on its chunks one after the other, through
buffers of one chunk, and the chunks' costs and gradients add up to the
batch's (every chunk is normalised by the whole batch's ``sum(s)``). While
a fit does this, BLAS runs on one thread per thread
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

The sums come in a different order than in one pass: the results agree to
rounding, and they depend on the number of threads only in the last bits.
"""

import contextvars
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from itertools import pairwise

from ._parallel import row_threads


class RowChunks:
    """Splits ``m`` rows into per-thread parts of chunks, and runs the parts.

    Parameters
    ----------
    threads : int, default=1
        Threads to run the parts on (the calling thread is one of them).
    width : int, default=1
        The widest layer: a chunk has :attr:`ELEMENTS` values of it, at
        most (``rows = ELEMENTS // width``).
    """

    #: Values of the widest layer in a chunk: 2 048 rows of 256 units, 4 MB
    #: in float64. Narrow networks get longer chunks: their per-chunk work
    #: would not pay for the threads and the calls.
    ELEMENTS = 2**19

    def __init__(self, threads=1, width=1):
        if threads < 1:
            raise ValueError(f"threads must be at least 1; got {threads}.")
        self.threads = threads
        self.rows = max(1, self.ELEMENTS // width)
        self._pool, self._parts = None, {}

    def parts(self, m):
        """The chunks' ``(start, stop)`` rows, one list per part: at most
        ``threads`` parts of nearly equal size, none empty, in row order."""
        parts = self._parts.get(m)
        if parts is None:  # a fit has two batch sizes at most: 2 us a batch
            parts = self._parts[m] = self._split(m)
        return parts

    def _split(self, m):
        n_chunks = -(-m // self.rows)
        n_parts = max(1, min(self.threads, n_chunks))
        bounds = [m * i // n_parts for i in range(n_parts + 1)]
        return [_chunks(start, stop, self.rows) for start, stop in pairwise(bounds)]

    def buffer_rows(self, max_rows):
        """Rows a chunk's buffers need for batches of up to ``max_rows``."""
        return max(1, min(max_rows, self.rows))

    def map(self, function, m):
        """``[function(i, chunks_i) for each part i]`` of :meth:`parts`,
        the parts at the same time; the results in the parts' order.

        Every part has ended when this returns, even when one raised: they
        write into buffers their caller owns.
        """
        parts = self.parts(m)
        if len(parts) == 1:
            return [function(0, parts[0])]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.threads - 1, thread_name_prefix="skdnn-rows"
            )
        # each part in a copy of the caller's context: np.errstate with it
        futures = [
            self._pool.submit(contextvars.copy_context().run, function, i, part)
            for i, part in enumerate(parts[1:], 1)
        ]
        try:
            first = function(0, parts[0])
        finally:
            wait(futures)
        return [first, *(future.result() for future in futures)]

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
    batch is one chunk."""
    if max_rows <= RowChunks(width=widest(coefs)).rows:
        yield 1
        return
    with row_threads() as threads:
        yield threads
