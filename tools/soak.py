"""Many sessions at once: N Chromium sessions train on one dashboard server for a while;
the server's memory and each session's own counters are sampled as they go.

    python tools/soak.py --sessions 10 --minutes 10 --out soak.json

Each session opens its own link (a preset and a seed of its own) in its own browser context
(no shared cookies or storage); then each presses Play. Every ``--every`` seconds: the server's
resident memory (RSS, with its child processes) and every session's G-update counter and seed.
At the end half the sessions close, and the memory is sampled again once a closed session's
trainer has been dropped (dashboard.sessions.GRACE_S later).
Needs Debian's chromium, the playwright package (as the browser tests) and psutil.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_browser import ARGS, CHROMIUM, streamlit_server  # noqa: E402  (the browser tests' server)

from dashboard.sessions import GRACE_S  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Ten pages of one browser are background tabs to Chromium, whose timers it slows to one
# wake-up a minute after five minutes; in a class each student's page is in front.
ARGS = [*ARGS, "--disable-background-timer-throttling", "--disable-renderer-backgrounding"]
ARGS += ["--disable-backgrounding-occluded-windows"]
PRESETS = ["paper-1d", "ring8", "paper-1d", "ring8", "mnist-mlp"]  # cycled over the sessions


def rss_mib(proc: subprocess.Popen) -> float:
    p = psutil.Process(proc.pid)
    return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20


def g_updates(page) -> int | None:
    """The G-update counter in the session's live chart title, or the MNIST view's progress
    bar (None if not readable now)."""
    bar = page.locator("[data-testid='stProgress']")
    if bar.count():
        try:
            found = re.search(r"G updates\D*([\d,]+)", bar.first.inner_text(timeout=5000))
            return int(found.group(1).replace(",", "")) if found else None
        except PlaywrightError:
            return None
    for frame in page.frames:
        if "ganlab_live_chart" not in frame.url or frame.is_detached():
            continue
        try:
            found = re.search(r"G updates (\d+)", frame.inner_text("body"))
        except PlaywrightError:
            continue
        if found:
            return int(found.group(1))
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    ap.add_argument("--out", default="soak.json")
    args = ap.parse_args()
    samples: list[dict] = []
    cap = str(max(16, args.sessions))
    with streamlit_server(GANLAB_MAX_SESSIONS=cap) as (url, proc), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        idle = rss_mib(proc)
        pages = []
        for i in range(args.sessions):
            preset, seed = PRESETS[i % len(PRESETS)], 100 + i
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.goto(f"{url}/?preset={preset}&seed={seed}")
            page.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=120_000)
            pages.append((page, preset, seed))
            print(f"session {i}: {preset} seed {seed} open", flush=True)
        for page, _, _ in pages:  # all open first: a page loads slowly beside nine that train
            page.locator(".st-key-play button").first.click()
        start = time.time()
        while True:
            elapsed = time.time() - start
            row = {"t_s": round(elapsed), "rss_mib": round(rss_mib(proc), 1)}
            row["g_updates"] = [g_updates(page) for page, _, _ in pages]
            row["seeds"] = [page.locator(".st-key-w_seed input").input_value() for page, _, _ in pages]
            samples.append(row)
            print(json.dumps(row), flush=True)
            if elapsed >= args.minutes * 60:
                break
            time.sleep(max(0.0, args.every - (time.time() - start - elapsed)))
        half = len(pages) // 2
        for page, _, _ in pages[:half]:
            page.context.close()
        time.sleep(GRACE_S + 20)
        closed = {"closed_sessions": half, "rss_mib_after_close": round(rss_mib(proc), 1)}
        print(json.dumps(closed), flush=True)
        browser.close()
    report = {
        "sessions": [{"preset": p, "seed": s} for _, p, s in pages],
        "idle_rss_mib": round(idle, 1),
        "samples": samples,
        **closed,
    }
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
