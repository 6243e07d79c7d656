"""A real Streamlit server driven by a real Chromium (Debian's, via playwright)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from dashboard.live import FRAMES_PER_RUN
from ganlab.cli import streamlit_command
from ganlab.figures.toy2d import BACKGROUNDS

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("GANLAB_SCREENSHOTS", ROOT / "tests" / "artifacts"))

pytestmark = pytest.mark.browser
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)


@contextlib.contextmanager
def streamlit_server(**env: str):
    """`streamlit run dashboard/app.py` on a free loopback port (extra environment ``env``);
    yields its URL and process once /_stcore/health answers (tools/soak.py uses it too)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        streamlit_command(
            ROOT / "dashboard" / "app.py",
            server_headless="true",
            server_address="127.0.0.1",
            server_port=str(port),
            server_fileWatcherType="none",
        ),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.25)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")
    try:
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as (url, _):
        yield url


@pytest.fixture
def app_page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.console_errors = []
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        page.goto(server)
        page.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=60_000)
        yield page
        browser.close()


def chart_frame(page, timeout: float = 30.0):
    """The live chart's iframe (its title counts the updates), once it has drawn. The metric
    curves are a chart of the same component, and after a remount their iframe may come first.

    A remounted iframe loads plotly.min.js (4.6 MB) again from a server that may be busy
    training: allow it ``timeout`` seconds."""
    for _ in range(int(timeout * 10)):
        frames = [f for f in page.frames if "ganlab_live_chart" in f.url and not f.is_detached()]
        for frame in frames:
            try:
                drawn = frame.evaluate("() => window.ganlabDraws || 0") > 0
                if drawn and re.search(r"D updates \d", frame.inner_text("body")):
                    return frame
            except PlaywrightError:
                pass
        page.wait_for_timeout(100)  # not time.sleep: the sync API learns of new frames only in its calls
    raise AssertionError("the live chart never drew")


def button(page, key: str, text: str | None = None):
    """The Streamlit button with this widget key (and, if given, this label text)."""
    locator = page.locator(f".st-key-{key} button")
    return (
        locator.filter(has_text=text) if text else locator
    ).first  # a rerun may briefly leave a stale copy


def counters(page) -> tuple[int, int]:
    """The D and G update counters shown in the live chart's title.

    A full rerun (Pause, a slider) may remount the chart's iframe, so look it up each time.
    """
    for _ in range(50):
        try:
            text = chart_frame(page).inner_text("body")
        except PlaywrightError:  # the frame was detached by a rerun: find the new one
            page.wait_for_timeout(100)
            continue
        d = re.search(r"D updates (\d+)", text)
        g = re.search(r"G updates (\d+)", text)
        if d and g:
            return int(d.group(1)), int(g.group(1))
        time.sleep(0.1)
    raise AssertionError("the live chart shows no counters")


def wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_play_trains_pause_stops_and_console_is_clean(app_page):
    page = app_page
    frame = chart_frame(page)
    assert counters(page) == (0, 0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    button(page, "play", "Play").click()
    wait_for(lambda: counters(page)[1] >= 50)
    frame = chart_frame(page)
    # the timer reruns only the chart's fragment, and each rerun brings a run of frames
    wait_for(lambda: frame.evaluate("() => window.ganlabRunFrames") == FRAMES_PER_RUN)
    draws = frame.evaluate("() => window.ganlabDraws")
    wait_for(lambda: frame.evaluate("() => window.ganlabDraws") > draws + 3)  # the chart keeps redrawing
    time.sleep(3)
    page.screenshot(path=str(SHOTS / "live-training.png"))
    button(page, "play", "Pause").click()
    button(page, "play", "Play").wait_for()
    time.sleep(0.5)
    paused = counters(page)
    time.sleep(1.0)
    assert counters(page) == paused
    frame = chart_frame(page)
    assert frame.evaluate("() => window.ganlabCanvasDraws") > 0  # while playing
    assert frame.evaluate("() => window.ganlabDrawn.canvas") is False  # paused: Plotly (hover, PNG)
    # (dotted and dashed curves: ~0.14 % of pixels differ, as Plotly simplifies its paths and
    # the dashes drift a little along them)
    assert_canvas_paints_as_plotly(frame, share=0.004)
    assert page.console_errors == []


def test_step_buttons_and_k_slider(app_page):
    page = app_page
    chart_frame(page)
    button(page, "d_step").click()
    wait_for(lambda: counters(page) == (1, 0))
    button(page, "g_step").click()
    wait_for(lambda: counters(page) == (1, 1))
    slider = page.locator(".st-key-w_k input[type=range]")
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")  # k = 3
    time.sleep(1.0)
    button(page, "iteration").click()
    wait_for(lambda: counters(page) == (4, 2))
    assert page.console_errors == []


HIDDEN_S = 10.0  # the live view stays hidden this long
IN_FLIGHT_S = 2.5  # at most this much training at the clicks (runs of frames in flight)


def test_a_hidden_live_view_does_not_train_and_plays_on_when_shown(app_page):
    """Tabs run only the open one: while Figure 1 is open the live view neither draws nor
    trains; back on it, training goes on from where it was (still playing)."""
    page = app_page
    button(page, "play", "Play").click()
    wait_for(lambda: counters(page)[1] >= 20)
    g0, t0 = counters(page)[1], time.time()
    time.sleep(2.0)
    left = counters(page)[1]
    rate = (left - g0) / (time.time() - t0)  # G updates a second while shown
    assert rate > 0
    page.get_by_role("tab", name="Figure 1").click()
    button(page, "make_figure1").wait_for()
    time.sleep(HIDDEN_S)
    page.get_by_role("tab", name=re.compile("Live training")).click()
    shown = time.time()
    page.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=30_000)
    back = counters(page)[1]
    # Training it may have had: the frames in flight at each click (the shown counter lags the
    # server by a run or two) and the time from the click back to the read (a slow CI machine:
    # seconds). Not the HIDDEN_S of training it would have had, hidden.
    delay = time.time() - shown
    assert delay < HIDDEN_S - IN_FLIGHT_S, delay  # or the allowance would not tell hidden training
    allowed = rate * (IN_FLIGHT_S + delay)
    assert back - left < allowed, (left, back, rate, allowed)
    button(page, "play", "Pause").wait_for()  # still playing
    wait_for(lambda: counters(page)[1] > back + 10)
    assert page.console_errors == []


def test_record_while_playing_downloads_the_frames_as_a_gif_and_an_mp4(app_page, tmp_path):
    """Record, Play, Pause: the GIF and the MP4 hold the frames that were shown, in order."""
    import av

    page = app_page
    page.locator(".st-key-recording label").first.click()
    page.get_by_text("Press Play while recording").wait_for()
    button(page, "play", "Play").click()
    wait_for(lambda: counters(page)[1] > 300, timeout=60)
    time.sleep(1.5)
    button(page, "play", "Pause").click()
    caption = page.get_by_text(re.compile(r"\d+ frames, G updates"))
    caption.wait_for(timeout=30_000)
    count = int(re.match(r"(\d+) frames", caption.inner_text()).group(1))
    assert count >= 20
    page.screenshot(path=str(SHOTS / "recording.png"))
    files = {}
    for suffix in ("gif", "mp4"):
        with page.expect_download(timeout=60_000) as info:
            page.locator(f".st-key-record_dl_{suffix} button").click()
        files[suffix] = tmp_path / f"rec.{suffix}"
        info.value.save_as(files[suffix])
    gif = Image.open(files["gif"])
    assert gif.n_frames == count
    pictures = []
    for i in (0, gif.n_frames - 1):
        gif.seek(i)
        pictures.append(np.asarray(gif.convert("RGB")).astype(int))
    assert np.abs(pictures[0] - pictures[1]).mean() > 1  # the run moved between first and last
    with av.open(str(files["mp4"])) as video:
        decoded = sum(1 for _ in video.decode(video=0))
    assert decoded == count + 15  # and the last one held for a second at 15 fps
    assert page.console_errors == []


def test_figure1_view_makes_and_offers_a_png(app_page):
    page = app_page
    page.get_by_role("tab", name="Figure 1").click()
    button(page, "make_figure1").click()
    page.locator(".st-key-dl_png button").wait_for(timeout=120_000)
    with page.expect_download() as info:
        page.locator(".st-key-dl_png button").click()
    path = info.value.path()
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.screenshot(path=str(SHOTS / "figure1-view.png"), full_page=True)
    assert page.console_errors == []


def keyed_frame(page, key: str):
    """The iframe of the live chart with this key, once it has drawn."""
    for _ in range(150):
        handle = page.locator(f".st-key-{key} iframe").element_handle(timeout=60_000)
        frame = handle.content_frame() if handle else None
        try:
            if frame and frame.evaluate("() => window.ganlabDraws || 0") > 0:
                return frame
        except PlaywrightError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the chart {key} never drew")


def choose(page, key: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox with this widget key."""
    page.locator(f".st-key-{key}").click()
    page.get_by_role("option", name=option, exact=True).click()


HEATMAP_PICTURE = "() => document.querySelector('g.hm image').href.baseVal"  # the PNG Plotly drew
CANVAS_PICTURE = "() => window.ganlabCanvasPicture()"  # the live chart's canvas, as a PNG
ZOOM = "() => Plotly.relayout('chart', {'xaxis.range': [0, 1], 'yaxis.range': [0, 1]})"

GEOMETRY = """() => {
  const gd = document.getElementById('chart'), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const labels = Array.from(gd.querySelectorAll('g.xtick text'), (t) => t.getBoundingClientRect().bottom);
  return { x_scale: xa._length / Math.abs(xa.range[1] - xa.range[0]),
           y_scale: ya._length / Math.abs(ya.range[1] - ya.range[0]),
           labels_bottom: Math.max(...labels),
           legend_top: gd.querySelector('g.legend').getBoundingClientRect().top };
}"""


def pixels(png: bytes) -> np.ndarray:
    """A screenshot as an (h, w, 3) float array."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


PLOT_AREA = """() => { const fl = document.getElementById('chart')._fullLayout;
  return [fl.xaxis._offset, fl.yaxis._offset, fl.xaxis._length, fl.yaxis._length]; }"""


def unmatched(a: np.ndarray, b: np.ndarray, tolerance: float = 40) -> float:
    """The share of a's pixels that no pixel of b within one pixel matches (mean channel
    difference under ``tolerance``): lines anti-aliased a little differently still match, a
    line or a dot missing from b does not."""
    h, w = a.shape[:2]
    padded = np.pad(b, ((1, 1), (1, 1), (0, 0)), mode="edge")
    best = np.full((h, w), np.inf)
    for dy in range(3):
        for dx in range(3):
            best = np.minimum(best, np.abs(a - padded[dy : dy + h, dx : dx + w]).mean(axis=2))
    return float((best > tolerance).mean())


def assert_canvas_paints_as_plotly(frame, share: float = 0.001) -> None:
    """The paused chart's frame, painted on the canvas (as while playing), looks as Plotly
    drew it: the plot areas compared pixel by pixel, both ways; at most ``share`` of either
    unmatched in the other."""
    chart = frame.locator("#chart")
    left, top, width, height = (round(v) for v in frame.evaluate(PLOT_AREA))
    area = (slice(top, top + height), slice(left, left + width))
    frame.evaluate("() => window.ganlabRedraw(false)")
    by_plotly = pixels(chart.screenshot())[area]
    frame.evaluate("() => window.ganlabRedraw(true)")
    assert frame.evaluate("() => window.ganlabDrawn.canvas")
    on_canvas = pixels(chart.screenshot())[area]
    gap = np.abs(by_plotly - on_canvas).mean(axis=2).mean()
    missing, extra = unmatched(by_plotly, on_canvas), unmatched(on_canvas, by_plotly)
    assert gap < 1.5 and missing < share and extra < share, (gap, missing, extra)


def test_2d_view_trains_redraws_and_counts_modes(app_page):
    page = app_page
    choose(page, "preset", "ring8")
    frame = keyed_frame(page, "plane_chart")
    wait_for(lambda: "modes" in frame.inner_text("body"))
    button(page, "play", "Play").click()
    wait_for(lambda: frame.evaluate("() => window.ganlabDraws") > 3)
    start, t0 = frame.evaluate("() => window.ganlabDraws"), time.time()
    time.sleep(6)
    rate = (frame.evaluate("() => window.ganlabDraws") - start) / (time.time() - t0)
    # While playing, frames are painted on a canvas over Plotly's axes (overlay.js), and the
    # picture changes from frame to frame.
    assert frame.evaluate("() => window.ganlabCanvasDraws") > 3
    pictures = {frame.evaluate(CANVAS_PICTURE)}
    wait_for(lambda: pictures.add(frame.evaluate(CANVAS_PICTURE)) or len(pictures) > 2)
    page.screenshot(path=str(SHOTS / "ring8-training.png"))
    button(page, "play", "Pause").click()
    button(page, "play", "Play").wait_for()
    frame = keyed_frame(page, "plane_chart")
    wait_for(lambda: not frame.evaluate("() => window.ganlabDrawn.canvas"))  # paused: Plotly draws
    text = frame.inner_text("body")
    assert re.search(r"modes \d/8", text), text
    assert_canvas_paints_as_plotly(frame)
    # A zoom repaints the canvas in the zoomed view.
    before = frame.evaluate(CANVAS_PICTURE)
    frame.evaluate(ZOOM)
    wait_for(lambda: frame.evaluate(CANVAS_PICTURE) != before)
    frame.evaluate("() => window.ganlabRedraw(false)")
    assert frame.evaluate("() => window.ganlabDrawn.canvas") is False
    # Without a background (and its colour bar) the plane is laid out again: x and y at one
    # scale, and the legend below the x axis's labels.
    draws = frame.evaluate("() => window.ganlabDraws")
    choose(page, "bg2d", BACKGROUNDS["none"])
    frame = keyed_frame(page, "plane_chart")
    heatmaps = "() => document.querySelectorAll('g.hm').length"
    wait_for(lambda: frame.evaluate("() => window.ganlabDraws") > draws and frame.evaluate(heatmaps) == 0)
    shape = frame.evaluate(GEOMETRY)
    assert abs(shape["x_scale"] - shape["y_scale"]) < 1, shape
    assert shape["legend_top"] >= shape["labels_bottom"], shape
    choose(page, "bg2d", BACKGROUNDS["d"])
    wait_for(lambda: frame.evaluate(heatmaps) == 1)
    # Paused, a D step updates D's plane in place (Plotly's transition path).
    in_place = frame.evaluate("() => window.ganlabInPlace")
    button(page, "d_step").click()
    wait_for(lambda: frame.evaluate("() => window.ganlabInPlace") > in_place)
    # With every layer off, a D step changes only the heatmap: it must still be redrawn.
    scatters = "() => document.querySelectorAll('g.trace.scatter').length"
    for label in ("real samples", "fake samples", "G's gradient", "G manifold"):
        shown = keyed_frame(page, "plane_chart").evaluate(scatters)
        page.locator(".st-key-layers2d button", has_text=label).click()
        wait_for(lambda shown=shown: keyed_frame(page, "plane_chart").evaluate(scatters) < shown)
    frame = keyed_frame(page, "plane_chart")
    assert frame.evaluate(scatters) == 0
    before = frame.evaluate(HEATMAP_PICTURE)
    button(page, "d_step").click()
    wait_for(lambda: frame.evaluate(HEATMAP_PICTURE) != before)
    (SHOTS / "ring8-redraws-per-s.txt").write_text(f"{rate:.1f}\n")
    assert rate >= 1, f"the 2D view redrew {rate:.1f} times a second while training"
    assert page.console_errors == []


def test_your_data_draw_and_upload(app_page, tmp_path):
    page = app_page
    choose(page, "preset", "ring8")
    keyed_frame(page, "plane_chart")
    page.get_by_role("tab", name="Your data").click()
    canvas = page.locator(".st-key-draw_canvas_0 iframe")
    canvas.wait_for(timeout=30_000)
    keyed_frame(page, "draw_canvas_0")  # Plotly has drawn the canvas: clicks map to data points

    def drawn_count() -> int:
        found = re.search(r"(\d+) points drawn", page.inner_text("body"))
        return int(found.group(1)) if found else 0

    # A stroke across the canvas; points go back to Python on mouse-up. A rerun that lands
    # mid-stroke can remount the canvas (seen ~1 run in 4 under CI load), so draw again then.
    for _attempt in range(3):
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        for i in range(1, 11):
            x = box["x"] + box["width"] * (0.3 + 0.03 * i)
            page.mouse.move(x, box["y"] + box["height"] * 0.5, steps=2)
        page.mouse.up()
        try:
            wait_for(lambda: drawn_count() >= 5, timeout=10)
            break
        except AssertionError:
            keyed_frame(page, "draw_canvas_0")
    assert drawn_count() >= 5
    button(page, "use_drawn").click()
    wait_for(lambda: "Training data: your" in page.inner_text("body"))
    drawn = int(re.search(r"Training data: your (\d+) points", page.inner_text("body")).group(1))
    assert drawn >= 5

    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text("x,y\n1,2\nhello,3\n")
    good.write_text("x,y\n" + "".join(f"{i % 7},{i // 7}\n" for i in range(49)))
    page.locator(".st-key-csv_upload input[type=file]").set_input_files(str(bad))
    wait_for(lambda: "is not two numbers" in page.inner_text("body"))
    wait_for(lambda: f"Training data: your {drawn} points" in page.inner_text("body"))  # the old data is kept
    page.locator(".st-key-csv_upload input[type=file]").set_input_files(str(good))
    wait_for(lambda: "Training data: your 49 points" in page.inner_text("body"))
    keyed_frame(page, "draw_canvas_0")
    time.sleep(1.0)
    page.screenshot(path=str(SHOTS / "your-data.png"))
    assert page.console_errors == []


TO_PAGE = """([x, y]) => {  // where the data point (x, y) is, in the chart's iframe, in pixels
  const gd = document.getElementById('chart'), fl = gd._fullLayout, r = gd.getBoundingClientRect();
  return [r.left + fl.xaxis._offset + fl.xaxis.l2p(x), r.top + fl.yaxis._offset + fl.yaxis.l2p(y)];
}"""


def click_on_chart(page, key: str, point: list[float]) -> None:
    """A click on the live chart with this key at the data point (x, y)."""
    iframe = page.locator(f".st-key-{key} iframe")
    iframe.scroll_into_view_if_needed()
    box, (x, y) = iframe.bounding_box(), keyed_frame(page, key).evaluate(TO_PAGE, point)
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_the_dirac_view_follows_the_sidebar_and_a_click_moves_its_start(app_page, server):
    page = app_page
    page.goto(f"{server}/?optimizer=sgd&momentum=0&lr_d=0.1&lr_g=0.1&g_loss=minimax")
    keyed_frame(page, "figure1_chart")
    page.get_by_role("tab", name="The game: Dirac-GAN").click()
    keyed_frame(page, "dirac_eigen")
    wait_for(lambda: "Circles (neither converges nor diverges)" in page.inner_text("body"))
    assert "λ = 0.99875 ± 0.049984i" in page.inner_text("body")  # alternating SGD, h = 0.1
    page.get_by_text("simultaneous: both step from the same point").click()
    wait_for(lambda: "Spirals out (diverges)" in page.inner_text("body"))
    assert "λ = 1 ± 0.05i" in page.inner_text("body")  # 1 ± i·h/2
    plane = keyed_frame(page, "dirac_plane")
    wait_for(lambda: "from (1, 1)" in plane.inner_text("body"))
    time.sleep(1.0)
    page.screenshot(path=str(SHOTS / "dirac.png"))
    # A click on the plane at (θ, ψ) = (-1, 0.5) starts the trajectory there.
    for _attempt in range(3):  # a rerun landing mid-click can remount the chart: click again then
        click_on_chart(page, "dirac_plane", [-1.0, 0.5])
        try:
            wait_for(lambda: page.locator(".st-key-dirac_theta0 input").input_value() != "1.00", timeout=10)
            break
        except AssertionError:
            pass
    theta0 = float(page.locator(".st-key-dirac_theta0 input").input_value())
    psi0 = float(page.locator(".st-key-dirac_psi0 input").input_value())
    assert abs(theta0 + 1.0) < 0.05 and abs(psi0 - 0.5) < 0.05, (theta0, psi0)
    wait_for(lambda: f"from ({theta0:g}, {psi0:g})" in keyed_frame(page, "dirac_plane").inner_text("body"))
    assert page.console_errors == []


def test_the_stability_map_trains_fills_in_and_a_cell_opens_in_the_live_view(app_page):
    page = app_page
    page.get_by_role("tab", name="Stability map").click()
    page.locator(".st-key-map_start button").wait_for(timeout=30_000)
    for key in ("map_x_lr_d_range", "map_y_lr_g_range"):  # 0.0001:0.1 -> 0.002:0.01, three rates a side
        slider = page.locator(f".st-key-{key}")
        low, high = slider.locator("input[type=range]").all()
        for thumb, key_name, times in ((low, "ArrowRight", 4), (high, "ArrowLeft", 3)):
            for _ in range(times):
                thumb.press(key_name)
        wait_for(lambda s=slider: s.inner_text().split()[-4:-2] == ["0.002", "0.01"])
    page.locator(".st-key-map_steps input[type=range]").press("Home")  # 200 iterations
    wait_for(lambda: "200" in page.locator(".st-key-map_steps").inner_text())
    page.locator(".st-key-map_start button").click()
    wait_for(lambda: "Download map.json" in page.inner_text("body"), timeout=120)
    body = page.inner_text("body")
    assert re.search(r"\*?\*?\d+\*?\*? (converged|oscillating|not converged)", body.replace("**", ""))
    frame = keyed_frame(page, "map_chart")
    assert "9 GANs" in frame.inner_text("body") and "iteration 200 of 200" in frame.inner_text("body")
    time.sleep(0.5)
    page.locator(".st-key-map_chart").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "stability-map.png"))
    # The cell lr_d = 0.01 (third across), lr_g = 0.002 (first up) opens in the live view.
    click_on_chart(page, "map_chart", [2, 0])
    href = lambda: page.evaluate("location.href")  # noqa: E731
    wait_for(lambda: "lr_d=0.01" in href(), timeout=30)
    assert "lr_g=" not in href()  # 0.002: the preset's own
    wait_for(lambda: page.get_by_role("tab", name="Live training").get_attribute("aria-selected") == "true")
    keyed_frame(page, "figure1_chart")
    assert counters(page) == (0, 0)  # a new model of that setting, from its seed
    assert page.console_errors == []


CHART_OPACITY = """() => { let least = 1;  // the most faded live chart: its own and its parents' opacity
  for (const f of document.querySelectorAll("iframe")) {
    let o = 1;
    for (let e = f; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    least = Math.min(least, o);
  }
  return least.toFixed(2); }"""


def test_mnist_view_forms_digits_live_and_shows_figures_2_and_3(app_page):
    page = app_page
    choose(page, "preset", "mnist-mlp")
    hist = keyed_frame(page, "d_hist")
    wait_for(lambda: "D(x) on 512" in hist.inner_text("body"))
    progress = page.locator("[data-testid=stProgress]").first
    wait_for(lambda: "G updates 0 of a 20,000" in progress.inner_text())

    grid = keyed_frame(page, "grid_fixed")

    def grid_src() -> str:  # the fixed-z grid's picture, drawn in place by the live chart
        return grid.locator("image").first.get_attribute("href")

    before = grid_src()
    button(page, "play", "Play").click()
    wait_for(lambda: re.search(r"G updates ([1-9][\d,]*) of", progress.inner_text()), timeout=60)
    wait_for(lambda: grid_src() != before, timeout=60)  # the fixed-z grid is redrawn
    time.sleep(3)
    # While the timer's reruns run (runs of frames, longer than Streamlit's 0.5 s before it
    # fades an element being rerun), the live charts keep full opacity: they are playing.
    seen = set()
    for _ in range(30):
        seen.add(page.evaluate(CHART_OPACITY))
        time.sleep(0.05)
    assert seen == {"1.00"}, seen
    page.screenshot(path=str(SHOTS / "mnist-training.png"))

    # Changes that rebuild G and D while playing (the latent-dimension slider, 64 <-> 65): each
    # shows the run starting again, and the page stays connected. With Streamlit's message
    # cache on, 3 of 4 such series lost the connection ("Cached ForwardMsg MISS").
    def g_count() -> int:  # -1 while the bar is being redrawn
        found = re.search(r"G updates ([\d,]+) of", progress.inner_text())
        return int(found.group(1).replace(",", "")) if found else -1

    slider = page.locator(".st-key-w_latent_dim input[type=range]")
    for i in range(10):
        time.sleep(2)  # the new run plays on for a while (full frames, the curves' timer)
        before = wait_for(lambda: max(g_count(), 0), timeout=30)
        slider.focus()
        slider.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        wait_for(lambda: g_count() < before, timeout=10)  # noqa: B023 (called at once)
    assert page.console_errors == []
    button(page, "play", "Pause").click()
    button(page, "play", "Play").wait_for()
    for n in (2, 3):
        page.get_by_role("tab", name=re.compile(f"Figure {n}")).click()
        if n == 2:  # a young G: the tab says so, and draws on request
            page.get_by_text("needs a trained generator").wait_for()
            page.locator(".st-key-anyway_2 button").click()
        page.locator(f".st-key-dl_fig{n} button").wait_for()
    # Figure 3: a click on candidate 5 makes it the first walk's end
    page.locator(".st-key-fig3_b button", has_text=re.compile(r"^5$")).click()
    wait_for(lambda: page.get_by_text("candidates 1 → 5").count() > 0)
    page.screenshot(path=str(SHOTS / "mnist-figure3.png"))
    page.get_by_role("tab", name=re.compile("Figure 2")).click()
    page.locator(".st-key-dl_fig2 button").wait_for()
    page.screenshot(path=str(SHOTS / "mnist-figure2.png"))
    # The shipped trained model, from the sidebar: Figure 2 of it at once
    page.get_by_text("Save or load a run").click()
    page.locator(".st-key-trained_mnist-paper button").first.click()
    wait_for(lambda: page.get_by_text("G updates 168,338; framed").count() > 0, timeout=60)
    wait_for(lambda: page.get_by_text("The paper's MNIST model (its released").count() > 0)  # its preset
    page.screenshot(path=str(SHOTS / "mnist-trained-figure2.png"))
    assert page.console_errors == []


def test_a_link_with_the_setup_opens_the_same_setup_in_a_fresh_browser(app_page, server):
    page = app_page
    choose(page, "preset", "ring8")
    keyed_frame(page, "plane_chart")
    seed = page.locator(".st-key-w_seed input")
    seed.fill("7")
    seed.press("Enter")
    href = lambda: page.evaluate("location.href")  # noqa: E731 (page.url misses pushState updates)
    wait_for(lambda: "seed=7" in href())
    link = href()
    assert "preset=ring8" in link
    # A second browser process: no shared session, cookies or storage.
    browser = page.context.browser.browser_type.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        fresh = browser.new_page(viewport={"width": 1400, "height": 1000})
        fresh.goto(link)
        frame = keyed_frame(fresh, "plane_chart")  # the 2D view of the linked preset
        wait_for(lambda: re.search(r"modes\s*\d+/8", frame.inner_text("body")))  # ring8's eight modes
        assert fresh.locator(".st-key-w_seed input").input_value() == "7"
    finally:
        browser.close()
    assert page.console_errors == []


def test_compare_trains_both_panels_in_lockstep_and_its_link_opens_it_again(app_page):
    """Compare: the same settings are allowed and said to be; B with another G loss trains
    beside A, the same iterations each frame; the link holds B and opens the compare again."""
    page = app_page
    page.get_by_role("tab", name="Compare A and B").click()
    keyed_frame(page, "cmp_b")
    wait_for(lambda: "B's settings are the same as A's" in page.inner_text("body"))
    choose(page, "cmp_g_loss", "minimax")
    href = lambda: page.evaluate("location.href")  # noqa: E731
    wait_for(lambda: "b_g_loss=minimax" in href())
    wait_for(lambda: "B differs from A in: G's loss non-saturating → minimax" in page.inner_text("body"))

    def g_updates(key: str) -> int:
        try:
            found = re.search(r"G updates ([\d,]+)", keyed_frame(page, key).inner_text("body"))
        except PlaywrightError:  # a rerun remounted the chart
            return -1
        return int(found.group(1).replace(",", "")) if found else -1

    button(page, "cmp_play").click()
    wait_for(lambda: min(g_updates("cmp_a"), g_updates("cmp_b")) >= 100, timeout=90)
    button(page, "cmp_play", "Pause").click()
    wait_for(lambda: g_updates("cmp_a") == g_updates("cmp_b") > 0)  # lockstep
    titles = [keyed_frame(page, key).inner_text("body") for key in ("cmp_a", "cmp_b")]
    jsd = [re.search(r"JSD ([\d.]+) nats", t).group(1) for t in titles]
    assert jsd[0] != jsd[1], jsd  # two games, not one drawn twice
    page.locator(".st-key-cmp_curves").scroll_into_view_if_needed()
    time.sleep(0.5)
    page.screenshot(path=str(SHOTS / "compare.png"))
    link = href()
    fresh = page.context.browser.new_context().new_page()  # no shared session
    fresh.goto(link)
    keyed_frame(fresh, "cmp_b")  # the link opened the compare tab
    wait_for(lambda: "B differs from A in: G's loss non-saturating → minimax" in fresh.inner_text("body"))
    assert page.console_errors == []


def test_a_full_server_says_so_and_a_closed_tab_gives_its_seat_back():
    """With room for one trainer, a second browser is told why it waits; once the first
    closes, its seat (and model) is freed and the second trains."""
    from playwright.sync_api import sync_playwright

    with streamlit_server(GANLAB_MAX_SESSIONS="1") as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        first, second = (browser.new_context().new_page() for _ in range(2))
        first.goto(url)
        first.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=60_000)
        second.goto(url)
        second.get_by_text("already training for 1 browser sessions").wait_for(timeout=60_000)
        assert second.locator("iframe[title*='ganlab_live_chart']").count() == 0
        first.context.close()  # the tab closes: its session ends and frees the seat
        time.sleep(1.0)
        button(second, "seat_retry").click()
        second.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=60_000)
        button(second, "iteration").click()
        wait_for(lambda: counters(second) == (1, 1))
        browser.close()


def test_a_run_downloads_as_a_zip_and_loads_in_a_fresh_browser(app_page, server, tmp_path):
    page = app_page
    for _ in range(3):
        button(page, "iteration").click()
    wait_for(lambda: counters(page) == (3, 3))
    page.get_by_text("Save or load a run").click()
    with page.expect_download(timeout=60_000) as info:
        page.locator(".st-key-export_run button").first.click()
    zipped = tmp_path / info.value.suggested_filename
    info.value.save_as(zipped)
    from ganlab.runs.runzip import import_run

    run = import_run(zipped.read_bytes())
    assert (run.trainer.d_updates, run.trainer.g_updates) == (3, 3)
    names = set(__import__("zipfile").ZipFile(zipped).namelist())
    assert {"config.json", "checkpoint.pt", "metrics.csv", "figures/live.png", "figures/live.json"} <= names

    browser = page.context.browser.browser_type.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        fresh = browser.new_page(viewport={"width": 1400, "height": 1000})
        fresh.goto(server)
        fresh.wait_for_selector("iframe[title*='ganlab_live_chart']", timeout=60_000)
        choose(fresh, "preset", "ring8")  # the loaded paper-1d run brings its own preset back
        plane = keyed_frame(fresh, "plane_chart")
        wait_for(lambda: "modes" in plane.inner_text("body"))
        fresh.get_by_text("Save or load a run").click()
        broken = tmp_path / "broken.zip"
        broken.write_bytes(zipped.read_bytes()[:2000])
        fresh.locator(".st-key-run_upload input[type=file]").set_input_files(str(broken))
        wait_for(lambda: "Your current run is kept" in fresh.inner_text("body"))
        assert counters(fresh) == (0, 0)
        fresh.locator(".st-key-run_upload input[type=file]").set_input_files(str(zipped))
        wait_for(lambda: counters(fresh) == (3, 3))  # the run goes on where it was saved
        wait_for(lambda: "preset=paper-1d" in fresh.url)  # the sidebar names the run's preset
        assert "Figure 1's setting" in fresh.locator("[data-testid='stSidebar']").inner_text()
        button(fresh, "iteration").click()
        wait_for(lambda: counters(fresh) == (4, 4))
    finally:
        browser.close()
    assert page.console_errors == []


def test_keyboard_shortcuts_presenter_mode_and_narration(app_page):
    page = app_page
    chart_frame(page)
    wait_for(lambda: page.evaluate("() => typeof document.ganlabKeys") == "function")  # listener in
    page.locator("h1").first.click()  # focus on the page, not on a field
    page.keyboard.press("d")
    wait_for(lambda: counters(page) == (1, 0))
    page.keyboard.press("g")
    wait_for(lambda: counters(page) == (1, 1))
    page.keyboard.press("i")
    wait_for(lambda: counters(page) == (2, 2))
    seed = page.locator(".st-key-w_seed input")
    seed.click()
    seed.press("d")  # typed into a field: not a shortcut
    time.sleep(1.0)
    assert counters(page) == (2, 2)
    page.locator("h1").first.click()
    page.keyboard.press(" ")
    button(page, "play", "Pause").wait_for(timeout=30_000)
    page.keyboard.press(" ")
    button(page, "play", "Play").wait_for(timeout=30_000)

    page.keyboard.press("p")  # presenter mode: no sidebar, large type
    exit_button = page.locator(".st-key-presenter button:visible", has_text="Exit presenter")
    wait_for(lambda: exit_button.count() > 0)
    wait_for(lambda: not page.locator("section[data-testid='stSidebar']").is_visible())
    wait_for(lambda: "present=1" in page.evaluate("location.href"))
    chart_frame(page).evaluate("() => { window.ganlabMark = 1 }")
    page.locator(".st-key-narrate_on label").click()
    button(page, "narrate_next").wait_for(timeout=30_000)
    before = counters(page)
    # the narration panel sits in a fixed slot: the chart below keeps its iframe (no reload)
    assert chart_frame(page).evaluate("() => window.ganlabMark") == 1
    for n in range(1, 6):  # k = 1: noise, data, update D, noise, update G
        page.keyboard.press("n")
        wait_for(lambda n=n: f"sub-step {n} of 5" in page.inner_text("body"))
        if n == 2:  # noise and data drawn: the listing, and both minibatches on the chart
            time.sleep(1.0)
            page.screenshot(path=str(SHOTS / "presenter-narrated.png"))
            page.locator(".st-key-figure1_chart").scroll_into_view_if_needed()
            time.sleep(1.0)
            page.screenshot(path=str(SHOTS / "narrated-minibatch.png"))
    wait_for(lambda: counters(page) == (before[0] + 1, before[1] + 1))
    page.keyboard.press("p")
    wait_for(lambda: page.locator("section[data-testid='stSidebar']").is_visible())
    assert page.console_errors == []
