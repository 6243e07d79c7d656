"""A classroom: `ganlab classroom` starts dashboard processes and HAProxy (Debian's) in front
of them; real Chromium sessions go through the balancer."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_cli import run_cli

from ganlab.cli.classroom import STATS_PATH, haproxy_config

ROOT = Path(__file__).resolve().parent.parent
HAPROXY = shutil.which("haproxy")
MOVED = "process that held your model stopped"


def needs_haproxy() -> None:
    if HAPROXY is None:
        if os.environ.get("CI"):
            raise RuntimeError("haproxy is missing: .ci/run installs Debian's haproxy")
        pytest.skip("haproxy not installed (apt-get install haproxy)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_shipped_haproxy_config_is_the_one_the_command_writes_and_haproxy_accepts_it(tmp_path):
    needs_haproxy()
    shipped = (ROOT / "deploy" / "haproxy.cfg").read_text()
    backends = [(f"s{i}", 8500 + i) for i in range(1, 5)]
    assert shipped == haproxy_config(8500, backends)
    written = run_cli("classroom", "--processes", "4", "--write-config", str(tmp_path / "h.cfg"))
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "h.cfg").read_text() == shipped
    assert "GANLAB_SERVER_NAME=s4 GANLAB_MAX_SESSIONS=16 ganlab dashboard" in written.stdout
    checked = subprocess.run([HAPROXY, "-c", "-f", str(tmp_path / "h.cfg")], capture_output=True, text=True)
    assert checked.returncode == 0 and "valid" in checked.stdout, checked.stderr
    for line in ("cookie GANLAB_SERVER insert indirect nocache", "balance leastconn", "option redispatch"):
        assert line in shipped


def test_classroom_bad_input_is_one_line_exit_2(tmp_path):
    needs_haproxy()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = run_cli("classroom", "--host", "127.0.0.1", "--port", str(port))
    assert taken.returncode == 2 and f"port {port} is in use" in taken.stderr
    assert len(taken.stderr.strip().splitlines()) == 1
    # TEST-NET-3, not an address of this machine
    elsewhere = run_cli("classroom", "--host", "203.0.113.77", "--port", str(port))
    assert elsewhere.returncode == 2 and "cannot listen there" in elsewhere.stderr
    bin_dir = tmp_path / "bin"  # a PATH without haproxy
    bin_dir.mkdir()
    missing = run_cli("classroom", env={**os.environ, "PATH": str(bin_dir)})
    assert missing.returncode == 2 and "HAProxy is not installed" in missing.stderr


@contextlib.contextmanager
def classroom(processes: int = 2):
    """`ganlab classroom` on a free loopback port; yields its URL, the dashboards' pids by
    name, and its stderr lines so far (a list that keeps growing)."""
    port = free_port()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "ganlab.cli", "classroom", "--processes", str(processes)]
        + ["--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: nothing outlives the test
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(launcher.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.time() + 120
        while not any("Ctrl-C stops everything" in line for line in lines):
            assert launcher.poll() is None and time.time() < deadline, "".join(lines)
            time.sleep(0.2)
        pids = {
            m[1]: int(m[2]) for m in re.finditer(r"dashboard (s\d+) ready .*\(pid (\d+)\)", "".join(lines))
        }
        assert len(pids) == processes, "".join(lines)
        yield f"http://127.0.0.1:{port}", pids, lines
    finally:
        launcher.send_signal(signal.SIGTERM)  # as `kill`: it stops HAProxy and the dashboards
        try:
            launcher.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(launcher.pid, signal.SIGKILL)


@pytest.mark.browser
def test_six_browsers_spread_over_two_processes_each_trains_its_own_and_survive_losing_one():
    needs_haproxy()
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM, button, counters, wait_for

    args = [*ARGS, "--disable-background-timer-throttling", "--disable-renderer-backgrounding"]
    args += ["--disable-backgrounding-occluded-windows"]  # six pages, each in front for its student
    with classroom(2) as (url, pids, lines), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        pages, consoles = [], []
        for _ in range(6):  # six students: six browsers, no shared cookies
            page = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
            console: list[str] = []  # the frontend's own account of its connection, for a failure
            page.on("console", lambda m, console=console: console.append(f"{time.time():.1f} {m.text[:120]}"))
            page.on("crash", lambda _, console=console: console.append(f"{time.time():.1f} PAGE CRASHED"))
            consoles.append(console)
            page.goto(url)
            page.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=90_000)
            pages.append(page)

        def server_of(page) -> str:
            caption = page.get_by_text(re.compile(r"Classroom server s\d+")).first.inner_text()
            return re.search(r"server (s\d+)", caption)[1]

        servers = [server_of(page) for page in pages]
        assert min(servers.count("s1"), servers.count("s2")) >= 2, servers  # fewest connections first
        print("sessions per process:", {s: servers.count(s) for s in ("s1", "s2")})
        cookies = [
            c["value"] for page in pages for c in page.context.cookies() if c["name"] == "GANLAB_SERVER"
        ]
        assert cookies == servers  # the balancer's cookie names the process that holds the model

        for i, page in enumerate(pages):  # each its own model: page i takes i + 1 iterations
            for n in range(1, i + 2):
                button(page, "iteration").click()
                wait_for(lambda page=page, n=n: counters(page) == (n, n))
        assert [counters(page) for page in pages] == [(i + 1, i + 1) for i in range(6)]

        for page in pages:
            button(page, "play").click()
        for page in pages:
            wait_for(lambda page=page: counters(page)[1] > 20, timeout=60)

        victim = servers[0]
        lost = [page for page, s in zip(pages, servers) if s == victim]
        kept = [page for page, s in zip(pages, servers) if s != victim]
        os.kill(pids[victim], signal.SIGKILL)
        killed_at = time.time()
        for page in lost:  # a clear message, on a page that works again
            try:
                page.get_by_text(MOVED).wait_for(timeout=60_000)
            except Exception as e:  # say what the page showed instead, and what the class logged
                shown = page.locator("body").inner_text()[:600].replace("\n", " | ")
                raise AssertionError(
                    f"{time.time() - killed_at:.0f} s after {victim} was killed (at {killed_at:.1f}), page "
                    f"{pages.index(page)} shows: {shown!r}; the class's log ends: {''.join(lines[-8:])}; "
                    f"its console ends: {' | '.join(consoles[pages.index(page)][-25:])}"
                ) from e
        moved_after = time.time() - killed_at
        for page in kept:  # the other process's students never noticed
            before = counters(page)[1]
            wait_for(lambda page=page, before=before: counters(page)[1] > before + 10, timeout=60)
            assert page.get_by_text(MOVED).count() == 0
        for page in lost:  # a new model, and it trains
            assert counters(page) == (0, 0)
            button(page, "play").click()
            wait_for(lambda page=page: counters(page)[1] > 5, timeout=60)
        assert any(f"dashboard {victim} stopped" in line for line in lines), "".join(lines)
        stats = page.request.get(f"{url}{STATS_PATH};csv").text()  # HAProxy's view of the class
        assert re.search(rf"^dashboards,{victim},", stats, re.M)
        browser.close()
    print(f"the lost sessions showed the message {moved_after:.1f} s after their process was killed")
