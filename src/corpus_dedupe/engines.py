"""Where the parallel work of a run goes: this machine's worker processes (``--engine local``, the
default) or the tasks of a Ray cluster (``--engine ray``).

Both run the same functions on the same arguments (the per-document stages of pass 1, the text
comparisons of candidate pairs, the rendering of pass 2), and the results are taken in the order
the calls were made, so the output does not depend on the engine, nor on how many workers
there are. An engine hands out a *pool*: an object with ``submit(function, *args)`` returning a
``concurrent.futures.Future`` (what :func:`workers.in_order` needs).

The Ray engine relies on nothing shared by forking: every argument travels with its task, and
the files a task reads and writes (SRC, the spill file beside DST, the staging folder) must be on
a file system every node sees. A task that fails because its worker died is run again by Ray
(``max_retries``); pass 1 appends a batch's paragraphs to the spill file and returns where, so a
batch run twice leaves only unused bytes behind, and pass 2 writes whole files, so a rendering
run twice writes the same files again.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
from typing import Any, Callable, Iterator


from .workers import worker_init

_RAY_RETRIES = 3  # runs of a task whose worker died, after the first


class EngineError(Exception):
    """The engine cannot be used: Ray is not installed, or its cluster cannot be reached."""


class LocalEngine:
    """Worker processes of this machine (a process pool per stage)."""

    name = "local"

    @contextlib.contextmanager
    def pool(self, jobs: int) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, initializer=worker_init, initargs=(os.getpid(),)) as pool:
            yield pool

    def close(self) -> None:
        pass


class _RayPool:
    """``submit`` as a Ray task; the future resolves to the task's result (or raises its error)."""

    def __init__(self, ray) -> None:
        self._ray = ray
        self._remote: dict[Callable, Any] = {}

    def submit(self, function: Callable, *args) -> concurrent.futures.Future:
        remote = self._remote.get(function)
        if remote is None:
            remote = self._remote[function] = self._ray.remote(max_retries=_RAY_RETRIES, retry_exceptions=False)(function)
        return remote.remote(*args).future()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass  # (tasks still queued finish on the cluster; their results are dropped)


class RayEngine:
    """Tasks on a Ray cluster: the one at ``address`` (``ray start --head`` on one node, ``ray
    start --address=...`` on the others, or a KubeRay cluster), or a local one started for the run
    with ``jobs`` CPUs."""

    name = "ray"

    def __init__(self, address: str | None, jobs: int) -> None:
        try:
            import ray
        except ImportError:
            raise EngineError("--engine ray needs Ray: pip install 'corpus-dedupe[ray]'") from None
        self._ray = ray
        self._started = not ray.is_initialized()
        # Ray's notices (a local instance started, token authentication on) are not this
        # command's output: a library run prints nothing; its errors come back as exceptions.
        quiet = logging.getLogger("ray")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        if self._started:
            try:
                if address:
                    ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
                else:  # "local": a new instance, even where a cluster runs on this machine (ray.init() would join that)
                    ray.init(address="local", num_cpus=jobs, include_dashboard=False, log_to_driver=False, configure_logging=False)
            except Exception as exc:  # ConnectionError, RuntimeError, ... (Ray's own)
                raise EngineError(f"cannot start or reach the Ray cluster{' at ' + address if address else ''}: {exc}") from None

    @contextlib.contextmanager
    def pool(self, jobs: int) -> Iterator[_RayPool]:
        yield _RayPool(self._ray)

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()


def open_engine(name: str, address: str | None, jobs: int) -> LocalEngine | RayEngine:
    if name == "ray":
        return RayEngine(address, jobs)
    return LocalEngine()
