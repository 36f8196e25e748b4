"""What every pool worker process shares: how it starts, and how memory is handed back.

Used by the per-document passes (pipeline) and by the parallel verification of candidate pairs
(cluster).
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
import time
from collections import deque
from typing import Iterator

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter numbers
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_ARENA_MAX = -8


def set_mmap_threshold(threshold: int = 128 * 1024, trim: int | None = None, top_pad: int | None = None, arenas: int | None = None) -> None:
    """Make glibc give large freed blocks back to the system (Linux; elsewhere nothing happens).

    glibc serves allocations of 128 KiB or more with their own memory mappings, returned to the
    system when freed; but each such free raises that threshold (up to 32 MiB), after which large
    arrays come from the heap and stay in the process when freed. The corpus's fingerprints are
    gathered in chunks of about 27 MiB that are freed as they are copied into their final arrays:
    with the moving threshold, a 1 GB corpus kept both copies (peak 3.05 GB instead of 2.1 GB).
    Fixing the threshold stops that. Pool workers, whose memory is bounded by their batch, use a
    high threshold instead: their many large numpy temporaries are reused from the heap rather
    than mapped and zeroed afresh each time (a low threshold there cost 20% more time). ``trim``:
    how much free memory at the top of the heap a process keeps instead of handing it back; the
    workers keep up to 256 MiB, so that the fingerprint temporaries of one batch reuse the pages of
    the previous batch: on the 20 MB benchmark corpus, 133,000 page faults instead of 313,000 and
    about 7% less wall time (three alternating runs each). ``top_pad`` and ``arenas``: the main
    process receives the workers' results in a thread, and its numpy threads sort bucket columns;
    each thread's allocations came from a heap of its own, which glibc shrinks as soon as a batch
    is freed (and the next one faults in again, page by page). One heap with 64 MiB of pad: the
    duplicate search of the 200 MB benchmark corpus 3.25-3.61 s -> 2.58-2.86 s (three
    alternating runs each), the 1 GB run 106.8 -> 102.5 s and 5.2 -> 1.7 million page faults,
    for a higher peak (2.49 -> 2.79-2.84 GB at 1 GB: one heap holds its free gaps longer)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, threshold)
        if trim is not None:
            libc.mallopt(_M_TRIM_THRESHOLD, trim)
        if top_pad is not None:
            libc.mallopt(_M_TOP_PAD, top_pad)
        if arenas is not None:
            libc.mallopt(_M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass



def worker_init(parent: int) -> None:
    """In each pool worker: Ctrl-C is the parent's to handle (no traceback per worker), and a
    worker whose parent was killed exits instead of waiting for work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_mmap_threshold(32 << 20, trim=256 << 20)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def in_order(pool, function, calls: Iterator[tuple], window: int) -> Iterator:
    """``function(*args)`` for each ``args`` of ``calls``, in order: here when ``pool`` is None,
    else in the pool's workers with at most ``window`` calls in flight (their results, such as
    rendered provenance, never pile up in memory). Ctrl-C is held back while the first calls are
    submitted: that is when the pool forks its workers, and a Ctrl-C raised inside an at-fork
    callback would be swallowed. Nothing is submitted before the first result is asked for."""
    calls = iter(calls)
    if pool is None:
        for args in calls:
            yield function(*args)
        return
    yield from _results_in_order(pool, function, calls, _submit_first(pool, function, calls, window))


def started_in_order(pool, function, calls: Iterator[tuple], window: int) -> Iterator:
    """:func:`in_order` in ``pool``'s workers, with the first ``window`` calls submitted now:
    the workers start while this process goes on with other work (the verification of a batch's
    candidate pairs while the index rows they point at are read, incremental.py)."""
    calls = iter(calls)
    return _results_in_order(pool, function, calls, _submit_first(pool, function, calls, window))


def _submit_first(pool, function, calls: Iterator[tuple], window: int) -> deque:
    pending: deque = deque()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if hasattr(signal, "pthread_sigmask") else None
    try:
        for args in itertools.islice(calls, window):
            pending.append(pool.submit(function, *args))
    finally:
        if blocked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return pending


def _results_in_order(pool, function, calls: Iterator[tuple], pending: deque) -> Iterator:
    while pending:
        result = pending.popleft().result()
        for args in itertools.islice(calls, 1):
            pending.append(pool.submit(function, *args))
        yield result
