"""Streamlit's AppTest: the whole script, one run per interaction (no browser)."""

import base64
import json
import re

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from dashboard.live import TIMER_KEY
from dashboard.views.compare import TAB_LABEL as COMPARE_TAB
from ganlab.presets import PRESETS
from ganlab.train import Trainer


@pytest.fixture
def app():
    return AppTest.from_file("../dashboard/app.py", default_timeout=60).run()


def counters(at) -> tuple[int, int]:
    trainer = at.session_state["trainer"]
    return trainer.d_updates, trainer.g_updates


def chart_spec(at, key="figure1_chart") -> dict:
    for element in at.get("component_instance"):
        args = json.loads(element.proto.json_args)
        if element.proto.id.endswith(key) or key in element.proto.id:
            return json.loads(args["frames"][-1])  # the frame on screen once the run has played
    raise AssertionError(f"no chart {key}")


def test_app_loads_on_its_default(app):
    assert not app.exception
    assert app.session_state["preset"] == "paper-1d"
    spec = chart_spec(app)
    names = [trace.get("name") for trace in spec["data"]]
    assert names[:3] == ["p_data", "p_g (exact)", "D(x)"]
    assert "G updates</b> 0" in spec["layout"]["title"]["text"]


def test_step_buttons_advance_the_right_counter_and_the_chart(app):
    before = chart_spec(app)
    app.button(key="d_step").click().run()
    assert counters(app) == (1, 0)
    app.button(key="g_step").click().run()
    assert counters(app) == (1, 1)
    app.button(key="iteration").click().run()
    assert counters(app) == (2, 2)
    after = chart_spec(app)
    assert after["data"][2]["y"] != before["data"][2]["y"]  # D(x) moved
    assert re.search(r"G updates</b> 2\b", after["layout"]["title"]["text"])


def test_k_slider_applies_live_without_losing_the_model(app):
    app.button(key="iteration").click().run()
    trainer = app.session_state["trainer"]
    app.slider(key="w_k").set_value(4).run()
    assert app.session_state["trainer"] is trainer
    app.button(key="iteration").click().run()
    assert counters(app) == (1 + 4, 2)


def test_latent_dimension_change_rebuilds(app):
    app.button(key="iteration").click().run()
    app.slider(key="w_latent_dim").set_value(3).run()
    assert counters(app) == (0, 0)
    assert app.session_state["trainer"].cfg.latent_dim == 3
    assert [t.get("name") for t in chart_spec(app)["data"]][1] == "p_g (KDE)"


def chart_args(at, key="figure1_chart") -> dict:
    """The arguments of the chart's last update."""
    for element in at.get("component_instance"):
        if key in element.proto.id:
            return json.loads(element.proto.json_args)
    raise AssertionError(f"no chart {key}")


def chart_frames(at, key="figure1_chart") -> list[dict]:
    """Every frame of the chart's last update (a run of frames while playing)."""
    return [json.loads(frame) for frame in chart_args(at, key)["frames"]]


def title_g_updates(spec: dict) -> int:
    return int(re.search(r"G updates</b> (\d+)", spec["layout"]["title"]["text"]).group(1))


def test_play_trains_and_pause_stops(app):
    """AppTest reruns the whole page each time: while playing, such a rerun (a click, a slider)
    answers with one frame at once and tells the browser to drop its backlog. The timer's
    reruns of the chart's fragment alone bring FRAMES_PER_RUN frames (the browser tests)."""
    app.button(key="play").click().run()
    assert app.session_state["running"]
    args = chart_args(app)
    assert args["playing"] and args["fresh"] and len(args["frames"]) == 1
    assert title_g_updates(chart_frames(app)[0]) == 1  # "auto": the first frame measures the pace with one
    before = counters(app)[1]
    app.run()  # later frames fit as many iterations as their time budget allows: many for 1D
    assert counters(app)[1] - before > 1 and title_g_updates(chart_frames(app)[-1]) == counters(app)[1]
    app.select_slider(key="w_steps_per_frame").set_value(5).run()
    before = counters(app)[1]
    assert counters(app.run())[1] == before + 5  # a fixed choice: exactly 5 per frame
    app.button(key="play").click().run()  # now "Pause"
    assert not app.session_state["running"]
    g = counters(app)[1]
    assert counters(app.run())[1] == g
    assert len(chart_frames(app)) == 1  # paused: the current state only


def test_a_click_while_the_timer_trains_shows_the_current_state_at_once(app):
    """Once the browser's timer reruns the live fragment, a whole-page rerun (a click, a
    slider) neither trains nor computes the sample metrics: it draws the current state."""
    app.button(key="play").click().run()
    app.session_state[TIMER_KEY] = True  # as the first rerun by the timer sets it
    g = counters(app)[1]
    app.toggle(key="show_d_star").set_value(False).run()
    args = chart_args(app)
    assert args["fresh"] and len(args["frames"]) == 1 and counters(app)[1] == g
    assert title_g_updates(chart_frames(app)[0]) == g
    assert not any(t.get("name", "").startswith("D*") for t in chart_frames(app)[0]["data"])
    app.button(key="play").click().run()  # Pause: the timer stops
    assert TIMER_KEY not in app.session_state


def values(array) -> np.ndarray:
    """A spec's array: a list, or a typed array as Plotly's JSON sends it (dtype, base64 bytes)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


def test_a_new_mnist_model_while_playing_shows_at_once_without_the_old_ones_charts(app):
    """A change that rebuilds G and D while the timer trains draws the new model's first frame
    without waiting for the judge (no D means yet, empty histograms: not the old model's), and
    forgets what was evaluated on the old model; the next full frame has it all again."""
    app.selectbox(key="preset").set_value("mnist-mlp").run()
    app.button(key="iteration").click().run()
    app.session_state["digits_result"] = (1, {})  # as the "Evaluate now" button leaves it
    app.button(key="play").click().run()
    app.session_state[TIMER_KEY] = True  # as the first rerun by the timer sets it
    app.slider(key="w_latent_dim").set_value(65).run()  # rebuilds G and D
    assert not app.exception and app.session_state["trainer"].cfg.latent_dim == 65
    assert "digits_result" not in app.session_state
    bar = app.get("progress")[0].proto.text
    assert "G updates** 0 of" in bar and "mean D(real)" not in bar
    assert not any(values(t["y"]).any() for t in chart_spec(app, "d_hist")["data"])
    assert not values(chart_spec(app, "digit_share")["data"][0]["y"]).any()
    app.button(key="play").click().run()  # Pause (AppTest cannot rerun the fragment alone): a full frame
    bar = app.get("progress")[0].proto.text
    assert "mean D(real)" in bar
    assert all(values(t["y"]).any() for t in chart_spec(app, "d_hist")["data"])
    assert values(chart_spec(app, "digit_share")["data"][0]["y"]).any()


def test_settings_in_a_closed_tab_survive_a_visit_to_another(app):
    """Only the open tab runs, so its widgets are not drawn while another is open: their
    values must still be there on the way back (the D* switch, the 2D layers, the narration)."""
    assert app.toggle(key="show_d_star").value is True  # on at the start
    app.toggle(key="narrate_on").set_value(True).run()
    app.session_state["tab_1d"] = "Figure 1"
    app.run()
    assert not app.exception and not app.get("component_instance")  # the live view is closed
    app.number_input(key="fig1_seed").set_value(5).run()
    app.session_state["tab_1d"] = "Live training"
    app.run()
    assert app.toggle(key="show_d_star").value is True and app.toggle(key="narrate_on").value is True
    app.session_state["tab_1d"] = "Figure 1"
    app.run()
    assert app.number_input(key="fig1_seed").value == 5
    app.session_state["tab_1d"] = "Live training"
    app.selectbox(key="preset").set_value("ring8").run()
    layers = ["real", "manifold"]
    app.get("button_group")[0].set_value(layers).run()  # the Layers pills
    app.selectbox(key="bg2d").set_value("p_g").run()
    app.session_state["tab_2d"] = "Your data"
    app.run()
    app.session_state["tab_2d"] = "Live training (2D)"
    app.run()
    assert not app.exception
    assert app.session_state["layers2d"] == layers and app.session_state["bg2d"] == "p_g"


def test_each_session_has_its_own_trainer():
    a = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    b = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    a.button(key="iteration").click().run()
    assert counters(a) == (1, 1) and counters(b) == (0, 0)
    assert a.session_state["trainer"] is not b.session_state["trainer"]


def test_2d_preset_shows_the_plane_and_mode_counts(app):
    app.selectbox(key="preset").set_value("ring8").run()
    assert not app.exception
    spec = chart_spec(app, "plane_chart")
    names = [trace.get("name") for trace in spec["data"]]
    assert names[0] == "D(x)" and "real x ~ p_data" in names and "fake G(z)" in names
    assert any(name.startswith("−∇ G loss") for name in names)
    assert "modes</b> " in spec["layout"]["title"]["text"]
    app.button(key="iteration").click().run()
    assert counters(app) == (1, 1)
    app.selectbox(key="bg2d").set_value("d_star").run()
    assert chart_spec(app, "plane_chart")["data"][0]["name"] == "D*(x)"
    app.slider(key="w_pack").set_value(3).run()  # the remedy: a rebuilt, packed D
    assert app.session_state["trainer"].cfg.pack == 3 and counters(app) == (0, 0)


def test_user_points_become_p_data():
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    at.session_state["user_points"] = ((0.0, 0.0), (1.0, 1.0), (2.0, 0.0))
    at.selectbox(key="w_p_data").set_value("custom").run()
    assert not at.exception
    cfg = at.session_state["trainer"].cfg
    assert cfg.p_data == "custom" and len(cfg.points) == 3
    assert chart_spec(at, "plane_chart")["data"][0]["name"] == "D(x)"


def test_custom_without_points_says_what_to_do():
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    at.selectbox(key="w_p_data").set_value("custom").run()
    assert not at.exception
    assert any("at least 2 points" in e.value for e in at.sidebar.error)


def test_grid25_preset_loads_r1_and_instance_noise_applies_live(app):
    app.selectbox(key="preset").set_value("grid25").run()
    assert not app.exception and app.session_state["trainer"].cfg.r1 == 1.0
    app.button(key="iteration").click().run()
    app.select_slider(key="w_instance_noise").set_value(0.3).run()
    trainer = app.session_state["trainer"]
    assert trainer.cfg.instance_noise == 0.3 and counters(app) == (1, 1)  # live: models kept
    title = chart_spec(app, "plane_chart")["layout"]["title"]["text"]
    assert "instance noise σ 0.30" in title and "R1 γ 1" in title


def test_the_1d_title_names_the_aids_too(app):
    app.select_slider(key="w_r1").set_value(0.1).run()
    assert not app.exception and app.session_state["trainer"].cfg.r1 == 0.1
    assert "R1 γ 0.1" in chart_spec(app)["layout"]["title"]["text"]


def test_mnist_view_shows_grids_histograms_and_the_papers_figures(app):
    app.selectbox(key="preset").set_value("mnist-mlp").run()
    assert not app.exception
    assert app.session_state["trainer"].cfg.model == "tutorial"
    assert not app.get("image")  # Figures 2 and 3 run only in their open tabs
    for key in ("grid_fixed", "grid_fresh"):  # the live grids: PNG pictures drawn in place
        (trace,) = chart_spec(app, key)["data"]
        assert trace["type"] == "image" and trace["source"].startswith("data:image/png;base64,")
    before = app.session_state["trainer"].g_updates
    app.button(key="iteration").click().run()
    assert app.session_state["trainer"].g_updates == before + 1
    hist = chart_spec(app, "d_hist")
    assert [trace["name"] for trace in hist["data"]] == ["D(real)", "D(G(z))"]
    app.selectbox(key="w_model").set_value("dcgan").run()  # rebuilds with other networks
    assert not app.exception and app.session_state["trainer"].cfg.model == "dcgan"
    app.selectbox(key="preset").set_value("mnist-paper").run()  # latent 100 and batch 100 fit the widgets
    cfg = app.session_state["trainer"].cfg
    assert not app.exception and (cfg.model, cfg.latent_dim, cfg.batch_size) == ("paper", 100, 100)
    app.session_state["tab_mnist"] = "Figure 3: z walks"  # as a click on the tab does
    app.run()
    assert not app.exception and not app.get("component_instance")  # no live charts (nor training)
    assert not app.get("image") and "needs a trained generator" in app.info[0].value  # no blobs
    app.button(key="anyway_3").click().run()
    candidates, walks = app.get("image")  # Figure 3: the digits to pick from, then the walks
    assert [img.caption for img in candidates.proto.imgs] == [str(i) for i in range(1, 13)]
    assert "candidates 1 → 2, noise seeds 0 → 1" in walks.proto.imgs[0].caption
    before = walks.proto.imgs[0].url
    app.session_state["fig3_b"] = 7  # as a click on the pill of candidate 7 does
    app.run()
    walks = app.get("image")[-1]
    assert not app.exception and "candidates 1 → 7, noise seeds 0 → 6" in walks.proto.imgs[0].caption
    assert walks.proto.imgs[0].url != before  # a new picture
    assert "Figure 3" in " ".join(m.value for m in app.markdown)
    app.session_state["tab_mnist"] = "Figure 2: nearest neighbours"
    app.run()
    (picture,) = app.get("image")
    assert "framed: nearest training image" in picture.proto.imgs[0].caption
    assert "Figure 2" in " ".join(m.value for m in app.markdown)


MLP_WIDGETS = {"w_hidden", "w_depth", "w_maxout", "w_g_activation"}


def offered(at) -> set[str]:
    """The keys of the sidebar's sliders and radio buttons on show."""
    return {w.key for kind in (at.slider, at.select_slider, at.radio) for w in kind}


def test_settings_of_the_mlp_networks_are_not_offered_for_the_fixed_mnist_networks(app):
    assert offered(app) >= MLP_WIDGETS  # the 1D MLP
    app.selectbox(key="w_p_data").set_value("mnist").run()  # MNIST from a toy setup: the demo preset
    assert not app.exception and app.session_state["preset"] == "mnist-demo"
    assert app.session_state["trainer"].cfg == PRESETS["mnist-demo"].config
    app.selectbox(key="w_model").set_value("mlp").run()  # MNIST on the MLP networks: offered
    assert not app.exception and app.session_state["trainer"].cfg.model == "mlp"
    assert offered(app) >= MLP_WIDGETS
    app.select_slider(key="w_hidden").set_value(64).run()
    app.selectbox(key="w_model").set_value("tutorial").run()  # a fixed architecture: not offered
    assert not app.exception and not MLP_WIDGETS & offered(app)
    trainer = app.session_state["trainer"]
    assert (trainer.cfg.model, trainer.cfg.hidden) == ("tutorial", 64)  # kept meanwhile
    app.button(key="iteration").click().run()
    assert app.session_state["trainer"] is trainer and trainer.g_updates == 1  # nothing rebuilt
    app.selectbox(key="w_model").set_value("mlp").run()  # offered again, with the value kept
    assert offered(app) >= MLP_WIDGETS and app.select_slider(key="w_hidden").value == 64


def test_mnist_evaluations_on_request(app):
    app.selectbox(key="preset").set_value("mnist-mlp").run()
    app.button(key="eval_digits").click().run()
    assert not app.exception
    at, result = app.session_state["digits_result"]
    assert at == 0 and len(result["class_share"]) == 10 and result["frechet"] > 0
    assert any("Fréchet distance" in m.value for m in app.markdown)


def test_the_url_holds_the_setup_and_a_link_restores_it():
    a = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    a.selectbox(key="preset").set_value("ring8").run()
    a.select_slider(key="w_lr_d").set_value(0.005).run()
    a.number_input(key="w_seed").set_value(7).run()
    params = dict(a.query_params)
    assert params["preset"] == "ring8" and params["lr_d"] == "0.005" and params["seed"] == "7"
    assert "k" not in params  # only what differs from the preset
    b = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    b.query_params.update(params)
    b.run()
    cfg = b.session_state["trainer"].cfg
    assert (cfg.p_data, cfg.lr_d, cfg.seed) == ("ring8", 0.005, 7)
    assert not b.warning


@pytest.mark.parametrize(
    "params, skipped",
    [
        ({"preset": "nope", "k": "3"}, "preset"),
        ({"k": "99"}, "k"),
        ({"lr_d": "nan", "seed": "-1"}, "lr_d, seed"),
        ({"latent_dim": "1e9", "flavour": "x" * 5000}, "latent_dim, " + "flavour"),
        ({"momentum": "inf", "p_data": "custom"}, "momentum, p_data"),
    ],
)
def test_a_hostile_link_is_ignored_with_one_warning(params, skipped):
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    at.query_params.update(params)
    at.run()
    assert not at.exception
    assert len(at.warning) == 1 and at.warning[0].value.endswith(skipped)
    assert at.session_state["trainer"].cfg.p_data == "gaussian"  # the default setup


def test_narrated_iteration_does_algorithm_1_one_line_at_a_time(app):
    app.slider(key="w_k").set_value(2).run()
    app.toggle(key="narrate_on").set_value(True).run()
    trainer = app.session_state["trainer"]
    weights = lambda net: [p.detach().clone() for p in net.parameters()]  # noqa: E731
    same = lambda a, b: all(torch.equal(x, y) for x, y in zip(a, b))  # noqa: E731
    said, names = [], []
    for _ in range(2 * 3 + 2):  # k = 2: (noise, data, update D) twice, then noise, update G
        d0, g0 = weights(trainer.D), weights(trainer.G)
        app.button(key="narrate_next").click().run()
        assert not app.exception
        said.append(app.session_state["narration"].said[-1])
        names.append([t.get("name") for t in chart_spec(app)["data"]])
        d_moved, g_moved = not same(d0, weights(trainer.D)), not same(g0, weights(trainer.G))
        assert (d_moved, g_moved) == {"D took": (True, False), "G took": (False, True)}.get(
            said[-1][:6], (False, False)
        ), said[-1]
    assert [s.split()[0] for s in said] == ["Drew", "Drew", "D", "Drew", "Drew", "D", "Drew", "G"]
    assert counters(app) == (2, 1)
    assert "this minibatch of x ~ p_data" in names[1] and "this minibatch of G(z)" in names[1]
    assert "this minibatch of x ~ p_data" not in names[-1]  # G's step: only its noise is drawn
    assert app.session_state["trainer"] is trainer
    app.button(key="play").click().run()  # playing ends the narrated iteration
    assert "narration" not in app.session_state


def test_the_narrated_g_line_is_the_loss_that_trains(app):
    """Non-saturating (the default): G ascends log D(G(z)); minimax: Algorithm 1's own line."""
    app.toggle(key="narrate_on").set_value(True).run()
    listing = lambda: next(m.value for m in app.markdown if "Update the generator" in m.value)  # noqa: E731
    assert "ascending its stochastic gradient: ∇_θg (1/m) Σᵢ log D(G(z⁽ⁱ⁾))" in listing()
    app.radio(key="w_g_loss").set_value("minimax").run()
    assert "descending its stochastic gradient: ∇_θg (1/m) Σᵢ log(1 − D(G(z⁽ⁱ⁾)))" in listing()


def test_presenter_mode_enlarges_the_charts_and_goes_in_the_url(app):
    assert chart_spec(app)["layout"].get("font", {}).get("size") is None
    app.button(key="presenter").click().run()
    assert app.session_state["present"] is True
    assert chart_spec(app)["layout"]["font"]["size"] == 18
    assert app.query_params.get("present") == ["1"] or app.query_params.get("present") == "1"
    app.button(key="presenter").click().run()
    assert chart_spec(app)["layout"].get("font", {}).get("size") is None


def test_the_frame_budget_fills_the_target_and_still_trains_on_a_crowded_server():
    from dashboard.live import train_budget

    assert train_budget(0.02, 0.05) == pytest.approx(0.03)  # a quick machine: the rest of 50 ms
    assert train_budget(0.06, 0.05) == pytest.approx(0.01)  # slow drawing: the minimum
    assert train_budget(0.5, 0.05) == pytest.approx(0.25)  # ten sessions on two cores: half as long


def test_a_loaded_run_names_the_preset_closest_to_its_settings():
    from dashboard.runfile import closest_preset
    from ganlab.presets import PRESETS

    for name, preset in PRESETS.items():
        assert closest_preset(preset.config.replace(seed=7)) == name
    assert closest_preset(PRESETS["paper-1d"].config.replace(lr_d=0.01, k=3)) == "paper-1d"


def test_the_dirac_tab_follows_the_sidebar_and_trains_nothing(app):
    app.session_state["tab_1d"] = "The game: Dirac-GAN"
    app.run()
    words = lambda: " ".join(m.value for m in app.markdown)  # noqa: E731
    assert not app.exception and "No linear map at the equilibrium (Adam)" in words()  # paper-1d: Adam
    plane = chart_spec(app, "dirac_plane")
    assert plane["data"][0]["name"] == "start" and "from (1, 1)" in plane["layout"]["title"]["text"]
    app.radio(key="w_optimizer").set_value("sgd").run()
    app.slider(key="w_momentum").set_value(0.0).run()
    assert "Circles (neither converges nor diverges)" in words()  # alternating SGD
    app.select_slider(key="w_r1").set_value(1.0).run()
    assert "(converges)" in words()
    assert counters(app) == (0, 0)  # the run's own model did not train


def test_a_2d_map_trains_in_its_tab_and_counts_modes():
    app = AppTest.from_file("../dashboard/app.py", default_timeout=120).run()
    app.selectbox(key="preset").set_value("ring8").run()
    app.select_slider(key="w_hidden").set_value(16).run()  # small networks: a quick map
    app.session_state["tab_2d"] = "Stability map"
    app.run()
    app.selectbox(key="map_x").set_value("k").run()
    app.select_slider(key="map_x_k_range").set_value((1, 2)).run()
    app.select_slider(key="map_y_lr_g_range").set_value((1e-3, 2e-3)).run()
    app.select_slider(key="map_steps").set_value(200).run()
    app.button(key="map_start").click().run()
    run = app.session_state["map_run_2d"]
    for _ in range(100):
        if run.done:
            break
        app.run()
    assert not app.exception and run.done and len(run.cells) == 4
    words = " ".join(m.value for m in app.markdown)
    assert re.search(r"\*\*\d+\*\* (converged|oscillating|collapsed|not converged)", words)
    assert run.latest.modes is not None and run.latest.modes_total == 8  # ring8's modes are counted
    spec = chart_spec(app, "map_chart")
    assert [t["type"] for t in spec["data"][:2]] == ["scatter", "heatmap"]
    assert spec["data"][-1]["mode"] == "text"  # the outcomes' letters, once done


def test_compare_trains_a_and_b_in_lockstep_from_one_seed_and_the_link_holds_b():
    """A link with B's difference opens the compare tab with it; Step gives both the same
    iterations; the same settings are allowed and said to be the same; the link follows B."""
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    at.query_params.update({"preset": "paper-1d", "b_g_loss": "minimax", "b_k": "oops"})
    at.run()
    assert not at.exception
    assert at.session_state["tab_1d"] == COMPARE_TAB and at.session_state["cmp_g_loss"] == "minimax"
    assert any("b_k" in w.value for w in at.warning)  # a value B's widget does not offer: named, skipped
    assert any("G's loss non-saturating → minimax" in c.value for c in at.caption)
    at.button(key="cmp_step").click().run()
    a, b = at.session_state["cmp_pair"]
    assert (a.g_updates, b.g_updates) == (10, 10) and (a.cfg.seed, b.cfg.seed) == (0, 0)
    assert (a.cfg.g_loss, b.cfg.g_loss) == ("non-saturating", "minimax")
    assert at.query_params["b_g_loss"] == "minimax"
    # Same initial weights (one seed), different updates (another G loss).
    first = [Trainer(c).G.state_dict() for c in (a.cfg, b.cfg)]
    assert all(torch.equal(first[0][k], first[1][k]) for k in first[0])
    assert not torch.equal(a.G.net[0].weight, b.G.net[0].weight)
    at.selectbox(key="cmp_g_loss").set_value("non-saturating").run()
    assert any("same as A's" in i.value for i in at.info)  # allowed, and said
    assert "b_g_loss" not in at.query_params
    at.button(key="cmp_play").click().run()
    for _ in range(3):
        at.run()
    a, b = at.session_state["cmp_pair"]
    assert a.g_updates == b.g_updates > 0
    assert torch.equal(a.G.net[0].weight, b.G.net[0].weight)  # the same settings: the same run
