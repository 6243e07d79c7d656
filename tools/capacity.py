"""How many sessions one dashboard process holds: N Chromium sessions play paper-1d on one
server; each session's training and redraw rates are measured, with the server's CPU.

    python tools/capacity.py --sessions 1 2 4 8 16 --seconds 30 --out capacity.json
    python tools/capacity.py --sessions 8 --processes 2      # through `ganlab classroom`

For each N: a fresh server (GANLAB_MAX_SESSIONS=N; with ``--processes P``, a fresh
`ganlab classroom` of P processes behind HAProxy, and the CPU of each), N browser contexts
opened one after the other, Play pressed in each, ``--warmup`` seconds, then over
``--seconds``: every session's G updates a second and redraws a second (its live chart's own
draw counter), and the server processes' CPU (100 % = one core). On a small machine the
browsers share the cores with the servers, so the numbers are a lower bound for a class whose
students each bring a computer.
Needs Debian's chromium, playwright and psutil (as tools/soak.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

import psutil
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from soak import ARGS, g_updates  # noqa: E402  (background-throttling flags, the counter reader)
from test_browser import CHROMIUM, streamlit_server  # noqa: E402
from test_classroom import classroom  # noqa: E402


def draws(page) -> int | None:
    """How many times the session's live chart has redrawn."""
    for frame in page.frames:
        if "ganlab_live_chart" in frame.url and not frame.is_detached():
            try:
                return int(frame.evaluate("() => window.ganlabDraws || 0"))
            except PlaywrightError:
                continue
    return None


def reading(pages) -> list[tuple[int | None, int | None]]:
    return [(g_updates(page), draws(page)) for page in pages]


@contextlib.contextmanager
def servers(n: int, processes: int):
    """The URL to open, and the server processes (one dashboard, or a classroom's)."""
    if processes == 1:
        with streamlit_server(GANLAB_MAX_SESSIONS=str(n)) as (url, proc):
            yield url, [psutil.Process(proc.pid)]
    else:
        with classroom(processes) as (url, pids, _):
            yield url, [psutil.Process(pid) for pid in pids.values()]


def measure(n: int, seconds: float, warmup: float, preset: str, processes: int) -> dict:
    with servers(n, processes) as (url, procs), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pages = []
        for i in range(n):
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.goto(f"{url}/?preset={preset}&seed={100 + i}")
            page.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=120_000)
            pages.append(page)
        for page in pages:
            page.locator(".st-key-play button").first.click()
        time.sleep(warmup)
        for proc in procs:
            proc.cpu_percent()
        before, t0 = reading(pages), time.time()
        time.sleep(seconds)
        cpu = [proc.cpu_percent() for proc in procs]
        after, t1 = reading(pages), time.time()
        browser.close()
    span = t1 - t0
    g = [(b[0] - a[0]) / span for a, b in zip(before, after) if a[0] is not None and b[0] is not None]
    d = [(b[1] - a[1]) / span for a, b in zip(before, after) if a[1] is not None and b[1] is not None]
    row = {
        "sessions": n,
        "processes": processes,
        "g_updates_per_s": {"min": round(min(g), 1), "median": round(statistics.median(g), 1)},
        "redraws_per_s": {"min": round(min(d), 2), "median": round(statistics.median(d), 2)},
        "server_cpu_percent": [round(c) for c in cpu],
        "read": f"{len(g)}/{n}",
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    ap.add_argument("--seconds", type=float, default=30.0, help="measuring time per N")
    ap.add_argument("--warmup", type=float, default=10.0)
    ap.add_argument("--preset", default="paper-1d")
    ap.add_argument("--processes", type=int, default=1, help="more than 1: a classroom of this many")
    ap.add_argument("--out", default="capacity.json")
    args = ap.parse_args()
    rows = [measure(n, args.seconds, args.warmup, args.preset, args.processes) for n in args.sessions]
    meta = {"cpus": psutil.cpu_count(), "preset": args.preset, "seconds": args.seconds}
    Path(args.out).write_text(json.dumps({"machine": meta, "rows": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
