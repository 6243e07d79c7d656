"""The stability map tab's screenshot for the README: the dashboard's default map (paper-1d, both
learning rates from 1e-4 to 0.1: 10 x 10 GANs, 1,000 iterations), trained in headless Chromium.

    python tools/map_screenshot.py --out assets/screenshots/stability-map.png
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_browser import ARGS, CHROMIUM, keyed_frame, streamlit_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="stability-map.png")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the map")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with streamlit_server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        keyed_frame(page, "figure1_chart")
        page.get_by_role("tab", name="Stability map").click()
        page.locator(".st-key-map_start button").click()
        start = time.time()
        while "Download map.json" not in page.inner_text("body"):
            if time.time() - start > args.timeout:
                raise SystemExit("the map did not finish in time")
            page.wait_for_timeout(1000)
        keyed_frame(page, "map_chart")
        page.locator(".st-key-map_chart").scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        page.screenshot(path=args.out)
        print(f"wrote {args.out}: the map took {time.time() - start:.0f} s in the page")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
