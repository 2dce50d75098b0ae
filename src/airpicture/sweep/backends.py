"""Where the runs execute: in this process, on a pool of local processes, or on a dask.distributed cluster.

Every backend takes the same tasks and yields the same records (in completion order; the store sorts them), so
results never depend on the backend or the worker count. Worker processes are reused across runs: a worker
pays its imports and the first-call load of cached numba functions once, not once per run.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from airpicture.errors import InputError
from airpicture.scenario import Scenario
from airpicture.sweep.worker import RunRecord, RunTask, describe_error, die_with_sweep, execute_run
from airpicture.threads import usable_cores

#: Modules the fork server imports once, so that every worker forked from it starts with them (the simulation
#: chain the engine imports lazily included): workers then pay only the load of the compiled kernels, once each,
#: and keep them for all their runs.
WORKER_PRELOAD = ("airpicture.sweep.worker", "airpicture.sensors.stage", "airpicture.tracking",
                  "airpicture.engagement", "airpicture.metrics", "airpicture.decisions")
#: Seconds to wait for a Dask scheduler before calling its address unreachable.
DASK_CONNECT_TIMEOUT_S = 5.0


class WorkerLost(RuntimeError):
    """A worker process died (killed, out of memory, crashed) or the cluster failed a run outside the
    simulator. Unlike an exception raised by a run (recorded in its row), this stops the sweep; finished rows
    are kept and running the same command again resumes."""


class Backend(Protocol):
    """Runs tasks; ``scenarios[task.point]`` is the scenario of a task's grid point."""

    description: str

    def run(self, tasks: Sequence[RunTask], scenarios: Sequence[Scenario]) -> Iterator[RunRecord]: ...

    def close(self) -> None: ...

    def terminate(self) -> None: ...


def available_cores() -> int:
    return usable_cores()


class InProcess:
    """Runs one after the other in this process (tests, debugging, the serial reference of the benchmark)."""

    description = "in process"

    def run(self, tasks: Sequence[RunTask], scenarios: Sequence[Scenario]) -> Iterator[RunRecord]:
        for task in tasks:
            yield execute_run(task, scenarios[task.point])

    def close(self) -> None:
        pass

    def terminate(self) -> None:
        pass


class LocalProcesses:
    """A pool of ``workers`` local processes, forked from a server that has already imported the simulator.

    Workers start with the ``forkserver`` method (never a fork of this possibly threaded process), so a script
    that uses this backend needs the usual ``if __name__ == "__main__":`` guard. Workers exit as soon as this
    process is gone (on POSIX): killing the sweep, even with SIGKILL, leaves no orphaned worker computing.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or available_cores()
        self.description = f"{self.workers} local process{'es' if self.workers > 1 else ''}"
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(list(WORKER_PRELOAD))
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                             initializer=die_with_sweep, initargs=(os.getpid(),))
        return self._pool

    def run(self, tasks: Sequence[RunTask], scenarios: Sequence[Scenario]) -> Iterator[RunRecord]:
        if not tasks:
            return
        pool = self._start()
        # Keep a bounded number of runs queued ahead so the pool never idles and memory stays flat.
        ahead = 4 * self.workers
        todo = iter(tasks)
        pending: set[Future[RunRecord]] = set()

        def refill() -> None:
            while len(pending) < ahead:
                task = next(todo, None)
                if task is None:
                    return
                pending.add(pool.submit(execute_run, task, scenarios[task.point]))

        interrupted = False
        try:
            refill()
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    pending.discard(fut)
                    try:
                        record = fut.result()
                    except BrokenProcessPool:
                        raise WorkerLost("a worker process died while runs were in flight") from None
                    yield record
                refill()
        except KeyboardInterrupt:
            # the caller ends the workers (terminate); the pool then fails the pending futures itself, which it
            # cannot do to cancelled ones (Python 3.11 raises InvalidStateError in its management thread)
            interrupted = True
            raise
        finally:
            if not interrupted:
                for fut in pending:
                    fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def terminate(self) -> None:
        """End the worker processes now, runs in flight included (an interrupted sweep), then close the pool."""
        if self._pool is None:
            return
        processes = list(getattr(self._pool, "_processes", {}).values())  # concurrent.futures keeps them here
        for proc in processes:
            if proc.is_alive():
                proc.terminate()
        for proc in processes:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
        self._pool.shutdown(wait=True)  # the pool sees its workers gone and fails what was pending
        self._pool = None


class DaskCluster:
    """Runs on a dask.distributed cluster: an existing scheduler ``address``, or a new LocalCluster."""

    def __init__(self, address: str = "local", workers: int | None = None, processes: bool = True,
                 timeout_s: float = DASK_CONNECT_TIMEOUT_S) -> None:
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        if address == "local":
            n = workers or available_cores()
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                         dashboard_address=None, host="127.0.0.1",
                                         protocol="tcp://")
            self.client = Client(self._cluster)
            self.description = f"a local Dask cluster of {n} worker{'s' if n > 1 else ''}"
        else:
            try:
                self.client = Client(address, timeout=f"{timeout_s}s")
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise InputError("--dask", f"cannot reach a Dask scheduler at '{address}' within {timeout_s:g} s "
                                           f"({exc}); expected e.g. tcp://host:8786 or 'local'") from None
            self.description = f"the Dask cluster at {address}"

    def run(self, tasks: Sequence[RunTask], scenarios: Sequence[Scenario]) -> Iterator[RunRecord]:
        if not tasks:
            return
        from distributed import as_completed

        # One copy of each grid point's scenario on the cluster, shared by its runs.
        shared = self.client.scatter(list(scenarios), broadcast=False)
        futures = [
            self.client.submit(execute_run, task, shared[task.point], pure=False, retries=0,
                               key=f"airpicture-run-{task.point}-{task.replication}-{task.seed}")
            for task in tasks
        ]
        task_of = {fut.key: task for fut, task in zip(futures, tasks, strict=True)}
        try:
            for fut in as_completed(futures):
                task = task_of[fut.key]
                if fut.status == "error":
                    raise WorkerLost(f"the cluster could not run grid point {task.point}, replication "
                                     f"{task.replication}: {describe_error(fut.exception())}")
                yield fut.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def terminate(self) -> None:
        """Cancel every run on the cluster and close (a new LocalCluster's workers end with it)."""
        try:
            self.client.cancel(list(self.client.futures.values()), force=True)
        except Exception:  # best effort on the way out of an interrupted sweep
            pass
        self.close()
