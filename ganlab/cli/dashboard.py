"""`ganlab dashboard`, and how the Streamlit server is started: the settings the dashboard
needs, however it is started (this command, the browser tests, tools/liveperf.py)."""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import socket
import sys
from pathlib import Path

from ganlab.cli.common import UsageError

__all__ = ["STREAMLIT_SETTINGS", "dashboard_app", "streamlit_command", "check_port", "cmd_dashboard"]

# .streamlit/config.toml repeats these for `streamlit run`.
STREAMLIT_SETTINGS = {
    # A gc.collect(2) after every script run, fragment ticks included: ~200 ms with torch loaded.
    "runner.postScriptGC": "false",
    # No ForwardMsg cache. Under frequent fragment reruns the browser sometimes evicted a
    # message that the server then sent by reference ("Cached ForwardMsg MISS"): the page lost
    # its connection for good (3 of 4 MNIST runs of tools/liveperf.py, 10 slider changes each).
    "global.minCachedMessageSize": "1e15",
    "browser.gatherUsageStats": "false",
    # For an audience: no "Deploy" button or developer menu, only what a viewer needs.
    "client.toolbarMode": "minimal",
}


def dashboard_app() -> Path:
    """dashboard/app.py beside the ganlab package (a clone), or of the installed dashboard
    package (found, not imported: the library never imports the dashboard)."""
    app = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
    if not app.is_file():
        spec = importlib.util.find_spec("dashboard")
        if spec is None or not spec.submodule_search_locations:
            raise UsageError("the dashboard package is not installed: pip install -e . from a clone")
        app = Path(next(iter(spec.submodule_search_locations))) / "app.py"
    return app


def streamlit_command(app: Path | None = None, **settings: str) -> list[str]:
    """`python -m streamlit run APP` (default: dashboard_app()) with STREAMLIT_SETTINGS and
    ``settings`` (``server_port="8501"`` for --server.port 8501)."""
    command = [sys.executable, "-m", "streamlit", "run", str(app or dashboard_app())]
    chosen = {name.replace("_", "."): value for name, value in settings.items()}
    for name, value in {**STREAMLIT_SETTINGS, **chosen}.items():
        command += [f"--{name}", value]
    return command


def check_port(host: str, port: int, flag: str = "--address") -> None:
    """UsageError in one line unless a server could listen on ``host``:``port`` ("" for every
    interface): the port in use, or an address (given as ``flag``) that is not this machine's."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"port {port} is in use (another ganlab dashboard or classroom?): "
                    "stop it, or choose --port"
                ) from None
            raise UsageError(
                f"{flag} {host} --port {port}: cannot listen there ({exc.strerror or exc}); "
                "give an address of this machine, or leave it out for every interface"
            ) from None


def cmd_dashboard(args: argparse.Namespace) -> int:
    """`ganlab dashboard`: this process becomes the Streamlit server (exec), so that stopping
    it (Ctrl-C, kill) stops the server too; a port in use is one line, exit 2."""
    check_port(args.address or "", args.port)
    extra = {"server_port": str(args.port)} | ({"server_headless": "true"} if args.headless else {})
    if args.address:
        extra["server_address"] = args.address
    command = streamlit_command(**extra)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
    return 0  # not reached
