"""What an audience sees after two minutes of Play: the dashboard in a real Chromium, a
preset played for ``--seconds``, then the run downloaded and its digits read two ways.

    python tools/demo_play.py --preset mnist-demo --seconds 120 [--out run.zip]

Starts its own dashboard server (as the browser tests do), opens ``?preset=P``, presses Play,
waits, presses Pause, downloads the run (sidebar, *Download this run*) and prints one JSON
line: the G updates trained, the project's judge (`ganlab eval digits`) and the independent
k-nearest-neighbour reading of tools/knn_digits.py, each on 2,000 samples.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
from knn_digits import knn_read, report  # noqa: E402
from test_browser import ARGS, CHROMIUM, button, streamlit_server  # noqa: E402

from ganlab.measure.judge import judge_samples  # noqa: E402
from ganlab.runs.load import load_trainer  # noqa: E402
from ganlab.snapshot.mnist import shipped_judge  # noqa: E402


def play_and_download(
    preset: str, seconds: float, out: Path, params: str = "", screenshot: str | None = None
) -> float:
    """Play ``preset`` for ``seconds`` in Chromium, pause, save the run's zip to ``out`` (and
    the page as it then looks to ``screenshot``); returns the seconds it played."""
    with streamlit_server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?preset={preset}" + (f"&{params}" if params else ""))
        page.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=60_000)
        button(page, "play").click()
        start = time.time()
        time.sleep(seconds)
        button(page, "play", "Pause").click()
        played = time.time() - start
        time.sleep(2.0)
        if screenshot:
            page.screenshot(path=screenshot)
        page.get_by_text("Save or load a run").click()
        with page.expect_download(timeout=120_000) as info:
            page.locator(".st-key-export_run button").first.click()
        info.value.save_as(out)
        browser.close()
    return played


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="mnist-demo")
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--out", help="keep the downloaded run here (a .zip)")
    ap.add_argument("--screenshot", help="a PNG of the page after Pause")
    ap.add_argument("--params", default="", help="more of the link's settings, e.g. 'batch_size=64&k=2'")
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "run.zip"
        played = play_and_download(args.preset, args.seconds, out, args.params, args.screenshot)
        trainer = load_trainer(out, "cpu")
        samples = trainer.sample(args.n, 7).float().cpu()
        judged = judge_samples(shipped_judge(), samples.double().numpy())
        result = {
            "preset": args.preset,
            "params": args.params,
            "played_s": round(played, 1),
            "g_updates": trainer.g_updates,
            "judge": {
                "share": [round(float(s), 3) for s in judged["class_share"]],
                "mean_confidence": round(float(judged["mean_confidence"]), 3),
            },
            "knn": report(*knn_read(samples)),
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
