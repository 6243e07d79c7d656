"""`ganlab classroom`: N dashboard processes behind HAProxy, one address for a whole class.

Each dashboard process trains its own browser sessions (at most ``--seats`` of them, the
dashboard's GANLAB_MAX_SESSIONS); HAProxy spreads new browsers over the processes (fewest
open connections first) and keeps each on its own with a cookie, websocket included. A
process that dies is started again; its browsers reconnect through HAProxy to a live process,
where the dashboard tells them that their model was lost and builds a new one from the
settings in their page's link.

The HAProxy configuration is written by ``haproxy_config`` (``deploy/haproxy.cfg`` is one,
for four processes) and checked with ``haproxy -c`` before anything starts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ganlab.cli.common import UsageError
from ganlab.cli.dashboard import check_port, streamlit_command

__all__ = ["SERVER_ENV", "STATS_PATH", "cmd_classroom", "haproxy_config"]

SERVER_ENV = "GANLAB_SERVER_NAME"  # each process's name (s1, s2, ...), shown in its sidebar
STATS_PATH = "/_classroom/stats"  # HAProxy's page: each process, up or down, and its sessions
COOKIE = "GANLAB_SERVER"

HAPROXY_CONFIG = """\
# ganlab classroom: HAProxy in front of {count} `ganlab dashboard` processes.
# Written by `ganlab classroom` (ganlab/cli/classroom.py); check with `haproxy -c -f FILE`.
global
    maxconn 4096

defaults
    mode http
    option redispatch        # a browser whose process is down goes to a live one
    retries 2
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout tunnel 12h       # a student's websocket lasts as long as the class

frontend classroom
    bind {host}:{port}
    stats enable
    stats uri {stats}
    stats refresh 5s
    default_backend dashboards

backend dashboards
    balance leastconn        # a new browser goes to the process with fewest open connections
    # Sticky sessions: the process that holds a browser's model gets all its requests,
    # the websocket (/_stcore/stream) and its images (/media) included.
    cookie {cookie} insert indirect nocache
    option httpchk GET /_stcore/health
    http-check expect string ok
    default-server check inter 1s fall 2 rise 2
{servers}
"""


def haproxy_config(port: int, backends: list[tuple[str, int]], host: str = "0.0.0.0") -> str:
    """HAProxy's configuration: listen on ``host``:``port``, and balance over ``backends``
    ((name, port) of each dashboard on 127.0.0.1)."""
    servers = "\n".join(f"    server {name} 127.0.0.1:{p} cookie {name}" for name, p in backends)
    return HAPROXY_CONFIG.format(
        count=len(backends), host=host, port=port, stats=STATS_PATH, cookie=COOKIE, servers=servers
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lan_address() -> str | None:
    """This machine's address on its network, for the students' link (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def _healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


@dataclass
class Dashboard:
    """One `streamlit run dashboard/app.py` process of the class."""

    name: str
    port: int
    seats: int
    logs: Path
    proc: subprocess.Popen | None = None
    stopped: bool = False  # died, and --no-restart

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = streamlit_command(
            server_headless="true",
            server_address="127.0.0.1",
            server_port=str(self.port),
            server_fileWatcherType="none",
        )
        env = {**os.environ, SERVER_ENV: self.name, "GANLAB_MAX_SESSIONS": str(self.seats)}
        log = (self.logs / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = (self.logs / f"{self.name}.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()


def _wait(check, what: str, timeout: float, procs: list[subprocess.Popen]) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{what}: a process exited (code {proc.returncode}) while starting")
        time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer within {timeout:.0f} s")


def _stop_all(dashboards: list[Dashboard], balancer: subprocess.Popen | None) -> None:
    procs = [d.proc for d in dashboards if d.proc is not None]
    if balancer is not None:
        procs.append(balancer)
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.time() + 15
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()


def cmd_classroom(args: argparse.Namespace) -> int:
    """`ganlab classroom`: start the dashboards and HAProxy, keep them up until Ctrl-C."""
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        raise UsageError(
            "HAProxy is not installed: apt-get install haproxy (Debian, Ubuntu), "
            "dnf install haproxy, or brew install haproxy"
        )
    count = args.processes or max(2, os.cpu_count() or 2)
    if args.write_config:  # for a HAProxy run apart: the dashboards on the ports after --port
        backends = [(f"s{i + 1}", args.port + 1 + i) for i in range(count)]
        if backends[-1][1] > 65535:
            raise UsageError(f"--port {args.port} leaves no room for {count} dashboard ports after it")
        try:
            Path(args.write_config).write_text(haproxy_config(args.port, backends, args.host))
        except OSError as exc:
            raise UsageError(f"--write-config {args.write_config}: {exc.strerror or exc}") from None
        print(f"wrote {args.write_config}; start each dashboard with its name and port:")
        for name, port in backends:
            env = f"{SERVER_ENV}={name} GANLAB_MAX_SESSIONS={args.seats}"
            print(f"  {env} ganlab dashboard --headless --address 127.0.0.1 --port {port}")
        return 0
    backends = [(f"s{i + 1}", _free_port()) for i in range(count)]
    config = haproxy_config(args.port, backends, args.host)
    check_port(args.host, args.port, "--host")
    work = Path(tempfile.mkdtemp(prefix="ganlab-classroom-"))
    (work / "haproxy.cfg").write_text(config)
    checked = subprocess.run(
        [haproxy, "-c", "-q", "-f", str(work / "haproxy.cfg")], capture_output=True, text=True
    )
    if checked.returncode != 0:
        why = (checked.stderr.strip().splitlines() or ["(no reason given)"])[-1]
        raise UsageError(f"HAProxy refused the configuration: {why}")

    dashboards = [Dashboard(name, port, args.seats, work) for name, port in backends]
    balancer: subprocess.Popen | None = None

    def terminate(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, terminate)
    try:
        start = time.perf_counter()
        for d in dashboards:
            d.start()
        for d in dashboards:
            _wait(lambda d=d: _healthy(d.url), f"dashboard {d.name}", 120, [d.proc])
            sys.stderr.write(f"dashboard {d.name} ready on port {d.port} (pid {d.proc.pid})\n")
        balancer = subprocess.Popen(
            [haproxy, "-db", "-f", str(work / "haproxy.cfg")],
            stdout=subprocess.DEVNULL,
            stderr=(work / "haproxy.log").open("ab"),
            stdin=subprocess.DEVNULL,
        )
        local = args.host in ("0.0.0.0", "")  # every interface: ask on the loopback one
        front = f"http://{'127.0.0.1' if local else args.host}:{args.port}"
        _wait(lambda: _healthy(front), "HAProxy", 30, [balancer])
        lan = _lan_address() if local else None
        link = f"http://{lan or ('127.0.0.1' if local else args.host)}:{args.port}/"
        sys.stderr.write(
            f"classroom ready in {time.perf_counter() - start:.1f} s: {count} dashboards × {args.seats} "
            f"seats = {count * args.seats} students at once\n"
            f"  students open  {link}\n"
            f"  processes, up or down, and their sessions:  {link.rstrip('/')}{STATS_PATH}\n"
            f"  logs in {work}; Ctrl-C stops everything\n"
        )
        sys.stderr.flush()
        while True:
            time.sleep(0.5)
            if balancer.poll() is not None:
                sys.stderr.write(f"ganlab: HAProxy stopped (exit code {balancer.returncode}); see {work}\n")
                return 1
            for d in dashboards:
                if d.stopped or d.proc.poll() is None:
                    continue
                code = d.proc.returncode
                if not args.restart:
                    sys.stderr.write(
                        f"dashboard {d.name} stopped (exit code {code}); not starting it again\n"
                    )
                    d.stopped = True
                    continue
                sys.stderr.write(
                    f"dashboard {d.name} stopped (exit code {code}): its browsers move to the others; "
                    f"starting it again [{d.log_tail()}]\n"
                )
                d.start()
    except KeyboardInterrupt:
        sys.stderr.write("\nstopping the classroom\n")
        return 0
    except RuntimeError as exc:
        sys.stderr.write(f"ganlab: {exc}; logs in {work}\n")
        return 1
    finally:
        signal.signal(signal.SIGTERM, old)
        _stop_all(dashboards, balancer)
