"""Ray, as the sweeps and large maps use it: a local Ray on this machine by default, or an
existing cluster by its address; tasks handed out a few at a time and gathered as they end.

Ray is imported here only, and only when a command needs it (`pip install "ganlab[sweep]"`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ganlab.config import ConfigError

__all__ = ["Cluster", "RayMissing", "check_address", "ADDRESS_TIMEOUT_S"]

ADDRESS_TIMEOUT_S = 5.0  # an address that does not accept a connection within this is refused
LOCAL_OBJECT_STORE = 256 * 1024**2  # a local Ray's shared memory: run files are small


class RayMissing(ConfigError):
    """Ray is not installed."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissing(
            'this command runs on Ray, which is not installed: pip install "ganlab[sweep]"'
        ) from None
    return ray


def check_address(address: str) -> tuple[str, int]:
    """HOST:PORT of a Ray head, checked to accept a TCP connection (within ADDRESS_TIMEOUT_S);
    ConfigError in one line otherwise."""
    host, sep, port_text = address.rpartition(":")
    if "://" in address or not sep or not host or not port_text.isdigit():
        raise ConfigError(
            f"--address must be HOST:PORT of a Ray head (as `ray start --head` prints); got {address!r}"
        )
    port = int(port_text)
    try:
        with socket.create_connection((host, port), timeout=ADDRESS_TIMEOUT_S):
            pass
    except OSError as exc:
        why = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ConfigError(
            f"--address {address}: nothing answers there ({why}); start a head there with "
            f"`ray start --head --port {port}`, or drop --address to run on this machine"
        ) from None
    return host, port


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Ray's C++ core writes its retry warnings (one a second while it cannot reach a head)
    straight to file descriptor 2: send them to a scratch file meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as scratch:
        os.dup2(scratch.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _token_available() -> bool:
    return bool(
        os.environ.get("RAY_AUTH_TOKEN")
        or os.environ.get("RAY_AUTH_TOKEN_PATH")
        or (Path.home() / ".ray" / "auth_token").is_file()
    )


class Cluster:
    """A connection to Ray: ``Cluster(None, workers)`` starts a local Ray of ``workers`` CPUs;
    ``Cluster("host:port")`` joins that cluster. ``run`` hands out tasks; ``close`` lets go."""

    def __init__(self, address: str | None, workers: int | None = None) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if address:
            check_address(address)
            # `ray start --head` makes a token (Ray >= 2.59) that a driver only sends in token
            # mode; Ray reads the mode when it is imported.
            if "RAY_AUTH_MODE" not in os.environ and _token_available():
                os.environ["RAY_AUTH_MODE"] = "token"
        ray = self.ray = _import_ray()
        quiet = {"logging_level": logging.ERROR, "log_to_driver": False, "include_dashboard": False}
        if address:
            try:
                with _quiet_stderr():
                    ray.init(address=address, **{k: v for k, v in quiet.items() if k != "include_dashboard"})
            except Exception as exc:  # noqa: BLE001  (Ray's many connection errors: one line)
                raise ConfigError(
                    f"--address {address}: Ray could not connect ({_first_line(exc)})"
                ) from None
            cpus = int(ray.cluster_resources().get("CPU", 1))
            self.where = f"the Ray cluster at {address} ({cpus} CPUs)"
        else:
            cpus = workers or os.cpu_count() or 1
            ray.init(address="local", num_cpus=cpus, object_store_memory=LOCAL_OBJECT_STORE, **quiet)
            self.where = f"a local Ray ({cpus} CPUs)"
        self.workers = max(1, workers or cpus)

    def run(
        self,
        fn: Callable[[Any], Any],
        keys: deque[Any],
        make_job: Callable[[Any], Any],
        gpus: float = 0.0,
    ) -> Iterator[tuple[Any, Any | None, str | None]]:
        """Run ``fn(make_job(key))`` as a Ray task for each key taken from the left of ``keys``, at
        most ``workers`` at once (a job is made as its task starts); yields (key, result, None)
        as each ends, or (key, None, error) when its worker failed. Keys put in ``keys``
        meanwhile are run too. A KeyboardInterrupt goes on up."""
        ray = self.ray
        remote = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(fn)
        running: dict[Any, Any] = {}
        # On an interrupt the tasks still running are left to ``close``: a driver that leaves
        # takes its job's workers with it. (Cancelling them first raced with their replies:
        # one in a few runs, Ray's core aborted the process in a failed check.)
        while True:
            while keys and len(running) < self.workers:
                key = keys.popleft()
                running[remote.remote(make_job(key))] = key
            if not running:
                return
            ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
            for ref in ready:
                key = running.pop(ref)
                try:
                    yield key, ray.get(ref), None
                except ray.exceptions.RayError as exc:
                    yield key, None, _first_line(exc)

    def close(self) -> None:
        self.ray.shutdown()


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(exc).__name__
