"""How smooth is a live view? Redraws per second while playing, and how long a change takes
to show, in a real Chromium against a real dashboard server.

    python tools/liveperf.py --preset paper-1d --seconds 20 --clicks 8

Redraws: the live chart's own counters (window.ganlabDraws, ganlabMsgs, ganlabSkipped) over
``--seconds`` of Play, after 5 s of warm-up, and the G updates trained in that time.
Change latency: while playing, the time from a click on "Show D*" (1D) or on the "G manifold"
layer (2D; the click event's own timestamp, so time the page was too busy to handle the
click counts) until the chart has drawn the curve or layer added or removed; for MNIST, from
a key press on the latent-dimension slider (which rebuilds G and D) until the progress bar
shows the run started again. Once per ``--clicks``.
``--record``: the same with the Record toggle on (what recording costs the live view).
Needs Debian's chromium and the playwright package, as the browser tests do.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_browser import ARGS, CHROMIUM, button, keyed_frame, streamlit_server  # noqa: E402

from ganlab.presets import get_preset  # noqa: E402


def chart_key(preset: str) -> str:
    """The key of the preset's live chart."""
    dim = get_preset(preset).config.data_dim
    return {1: "figure1_chart", 2: "plane_chart"}.get(dim, "grid_fixed")


def g_updates(page, frame) -> int:
    """The G-update counter: the chart's title, or (MNIST) the progress bar above the grids."""
    bar = page.locator("[data-testid=stProgress]")
    text = bar.first.inner_text() if bar.count() else frame.inner_text("body")
    return int(re.search(r"G updates\D*([\d,]+)", text).group(1).replace(",", ""))


def redraws(page, key: str, seconds: float) -> dict:
    frame = keyed_frame(page, key)
    read = "() => [window.ganlabDraws, window.ganlabMsgs || 0, window.ganlabSkipped || 0]"
    (d0, m0, s0), g0, t0 = frame.evaluate(read), g_updates(page, frame), time.time()
    time.sleep(seconds)
    (d1, m1, s1), g1, t1 = frame.evaluate(read), g_updates(page, frame), time.time()
    span = t1 - t0
    return {
        "redraws_per_s": round((d1 - d0) / span, 1),
        "messages_per_s": round((m1 - m0) / span, 1),
        "frames_skipped": s1 - s0,
        "g_updates_per_s": round((g1 - g0) / span, 1),
    }


# When the chart has finished drawing a frame with another number of traces than now.
WATCH = """() => {
  window.ganlabShown = null;
  const n0 = window.ganlabDrawn.traces;
  const tick = () => {
    if (window.ganlabDrawn.traces !== n0) window.ganlabShown = window.ganlabDrawn.at;
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
# The click's own timestamp, caught on the document: Streamlit may re-render the control
# between this and the click.
STAMP = """(key) => { window.ganlabClicked = null;
  const hear = (e) => {
    if (!e.target.closest(key)) return;
    window.ganlabClicked = performance.timeOrigin + e.timeStamp;
    document.removeEventListener("click", hear, true);
  };
  document.addEventListener("click", hear, true); }"""
# What a timed change clicks, per view: the D* switch (1D), the manifold layer's pill (2D).
CHANGES = {
    "figure1_chart": (".st-key-show_d_star", ".st-key-show_d_star label"),
    "plane_chart": (".st-key-layers2d", ".st-key-layers2d button:has-text('G manifold')"),
}


# MNIST: a key press on the latent-dimension slider (64 <-> 65 rebuilds G and D, and training
# starts again); shown when the progress bar's G-update count falls.
KEY_STAMP = """() => { window.ganlabPressed = null;
  const hear = (e) => {
    if (!e.target.closest(".st-key-w_latent_dim")) return;
    window.ganlabPressed = performance.timeOrigin + e.timeStamp;
    document.removeEventListener("keydown", hear, true);
  };
  document.addEventListener("keydown", hear, true); }"""
RESTART = """() => { window.ganlabRestarted = null;
  const count = () => {
    const bar = document.querySelector("[data-testid=stProgress]");
    const m = bar && bar.innerText.match(/G updates\\D*([\\d,]+)/);
    return m ? Number(m[1].replace(/,/g, "")) : null;
  };
  const n0 = count();
  const tick = () => {
    const n = count();
    const fell = n !== null && n0 !== null && n < n0;
    if (fell) window.ganlabRestarted = performance.timeOrigin + performance.now();
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick); }"""


def slider_latency(page, presses: int) -> list[float]:
    """Seconds from a key press on the latent-dimension slider to the restarted run on screen."""
    out = []
    slider = page.locator(".st-key-w_latent_dim input[type=range]")
    for i in range(presses):
        time.sleep(2.0)  # let the restarted run count up again
        page.evaluate(RESTART)
        page.evaluate(KEY_STAMP)
        slider.focus()
        slider.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        deadline = time.time() + 10
        while time.time() < deadline and not page.evaluate("() => window.ganlabRestarted"):
            time.sleep(0.02)
        shown, pressed = page.evaluate("() => [window.ganlabRestarted, window.ganlabPressed]")
        out.append(round((shown - pressed) / 1000, 3) if shown and pressed else float("nan"))
    return out


def change_latency(page, key: str, clicks: int) -> list[float]:
    out = []
    for _ in range(clicks):
        frame = keyed_frame(page, key)
        frame.evaluate(WATCH)
        container, control = CHANGES[key]
        page.evaluate(STAMP, container)
        page.locator(control).first.click()
        deadline = time.time() + 10
        while time.time() < deadline and not frame.evaluate("() => window.ganlabShown"):
            time.sleep(0.02)
        shown = frame.evaluate("() => window.ganlabShown")
        clicked = page.evaluate("() => window.ganlabClicked")
        out.append(round((shown - clicked) / 1000, 3) if shown and clicked else float("nan"))
        time.sleep(1.5)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="paper-1d")
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring time for redraws")
    parser.add_argument("--clicks", type=int, default=8, help="changes timed (0: none)")
    parser.add_argument("--record", action="store_true", help="with Record on (what recording costs)")
    args = parser.parse_args()
    key = chart_key(args.preset)
    with streamlit_server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/?preset={args.preset}")
        keyed_frame(page, key)
        if args.record:
            page.locator(".st-key-recording label").first.click()
            page.get_by_text("Press Play while recording").wait_for()
        button(page, "play", "Play").click()
        time.sleep(5)  # warm-up: the pace of training settles
        result = {"preset": args.preset, "record": args.record, **redraws(page, key, args.seconds)}
        if args.clicks:
            timed = change_latency if key in CHANGES else lambda page, _, n: slider_latency(page, n)
            lat = timed(page, key, args.clicks)
            result |= {"change_s": lat, "change_median_s": round(statistics.median(lat), 3)}
        result["console_errors"] = len(errors)
        for text in sorted(set(errors))[:5]:  # the distinct ones, for whoever reads the run
            print(f"console error: {text[:300]}", file=sys.stderr)
        browser.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
