"""The sidebar: every knob of the experiment -> a Config, and the view's options. What each
widget offers comes from the one table in dashboard/widgets.py."""

from __future__ import annotations

import streamlit as st

from dashboard.live import FRAME_TARGET_S, IMAGE_FRAME_TARGET_S, ViewOptions
from dashboard.urlstate import read_url
from dashboard.widgets import (
    BATCH_SIZES,
    EMA_CHOICES,
    INSTANCE_NOISE_CHOICES,
    LEARNING_RATES,
    OPTIONS,
    R1_CHOICES,
    STEPS_CHOICES,
    WIDTHS,
    preset_widget_values,
)
from ganlab.config import CHOICES, P_DATA_1D, P_DATA_IMAGES, Config, ConfigError, applies
from ganlab.data import DISTRIBUTIONS_1D, DISTRIBUTIONS_2D
from ganlab.figures.toy2d import LAYERS
from ganlab.presets import PRESETS

__all__ = ["init_state", "sidebar_ui", "set_before_next_run", "DEFAULT_PRESET"]

G_LOSS_LABELS = {"non-saturating": "non-saturating: −log D(G(z))", "minimax": "minimax: log(1 − D(G(z)))"}
DEFAULT_PRESET = "paper-1d"
MODEL_LABELS = {
    "mlp": "MLP (hidden width x layers below)",
    "paper": "the paper's (maxout D, dropout)",
    "tutorial": "tutorial MLP (BatchNorm G)",
    "dcgan": "small DCGAN (convolutions)",
}


PENDING = "pending_widgets"  # widget values for the next run, set before any widget is made


def set_before_next_run(values: dict[str, object]) -> None:
    """Give widgets (the sidebar's ``w_*``, a page's tabs) these values, by a rerun of the page:
    a widget made in this run can no longer change its value (a clicked map cell uses this)."""
    st.session_state[PENDING] = values
    st.rerun()


def _range(name: str) -> tuple[int, int]:
    """The (lowest, highest) value a slider or number input offers for setting ``name``."""
    option = OPTIONS[name]
    return option.lo, option.hi


def p_data_label(name: str) -> str:
    if name == "custom":
        n = len(st.session_state.get("user_points", ()))
        return f"2D · Your data ({n} points)" if n else "2D · Your data (draw or upload it first)"
    if name in P_DATA_1D:
        return f"1D · {DISTRIBUTIONS_1D[name].label}"
    if name in P_DATA_IMAGES:
        return "Images · MNIST digits (28 × 28)"
    return f"2D · {DISTRIBUTIONS_2D[name].label}"


def _off_or_value(v: float) -> str:
    return "off" if v == 0 else f"{v:g}"


def _load_preset_into_widgets() -> None:
    st.session_state.update(preset_widget_values(st.session_state["preset"]))


MNIST_DEFAULT = "mnist-demo"  # what choosing MNIST as p_data loads: digits of every kind within minutes


def _p_data_changed() -> None:
    """p_data switched to MNIST from a toy setup: load the MNIST demo preset (its networks and
    settings), not the toy MLP's on 784-pixel images."""
    state = st.session_state
    if state["w_p_data"] in P_DATA_IMAGES and PRESETS[state["preset"]].config.p_data not in P_DATA_IMAGES:
        state["preset"] = MNIST_DEFAULT
        _load_preset_into_widgets()


def init_state() -> None:
    """Widget defaults, once per browser session, then the setup a link holds."""
    if "preset" not in st.session_state:
        st.session_state["preset"] = DEFAULT_PRESET
        _load_preset_into_widgets()
        st.session_state["w_steps_per_frame"] = "auto"
        st.session_state["show_d_star"] = True
        st.session_state["bg2d"] = "d"
        st.session_state["layers2d"] = list(LAYERS)
        read_url()


def sidebar_ui() -> tuple[Config | None, ViewOptions]:
    """Every knob of the experiment; returns the config they describe (None if invalid).

    Settings that mean nothing to the chosen network (hidden width and depth, maxout, G's
    units for the fixed MNIST architectures) are not offered; they keep their values meanwhile."""
    st.session_state.update(st.session_state.pop(PENDING, {}))
    sb = st.sidebar
    sb.selectbox(
        "Preset",
        list(PRESETS),
        key="preset",
        on_change=_load_preset_into_widgets,
        help="Load a named setting: " + " ".join(f"**{p.name}**: {p.about}" for p in PRESETS.values()),
    )
    sb.caption(PRESETS[st.session_state["preset"]].about)
    sb.selectbox(
        "p_data (target distribution)",
        CHOICES["p_data"],
        key="w_p_data",
        format_func=p_data_label,
        on_change=_p_data_changed,
        help="1D: the paper's Figure 1 view. 2D: samples, D on the plane, gradients, mode counts. "
        "'Your data' is what you draw or upload in the 2D view's Your data tab.",
    )
    if st.session_state["w_p_data"] in P_DATA_IMAGES:
        sb.selectbox(
            "Network",
            CHOICES["model"],
            key="w_model",
            format_func=MODEL_LABELS.get,
            help="The paper's: G 100 → 1200 → 1200 → 784, D two maxout layers (240 × 5) with dropout. "
            "Tutorial: G of Linear-BatchNorm-ReLU blocks, D of Linear-LeakyReLU blocks. DCGAN: "
            "transposed convolutions in G, strided ones in D. MLP: the toy networks, sized below.",
        )
    images = st.session_state["w_p_data"] in P_DATA_IMAGES
    model = st.session_state.get("w_model", "mlp") if images else "mlp"  # the networks chosen
    lr_fmt = "{:g}".format
    sb.select_slider("Learning rate of D", LEARNING_RATES, key="w_lr_d", format_func=lr_fmt)
    sb.select_slider("Learning rate of G", LEARNING_RATES, key="w_lr_g", format_func=lr_fmt)
    sb.slider(
        "k: D steps per G step",
        *_range("k"),
        key="w_k",
        help="Algorithm 1's inner loop; the paper used k = 1.",
    )
    sb.slider(
        "Latent dimension (z)",
        *_range("latent_dim"),
        key="w_latent_dim",
        help="With 1, p_g is exact (change of variables) and the z → x lines are drawn.",
    )
    sb.radio(
        "Noise p_z",
        CHOICES["noise"],
        key="w_noise",
        horizontal=True,
        format_func={"normal": "normal N(0, 1)", "uniform": "uniform [−1, 1]"}.get,
    )
    sb.select_slider("Batch size m", BATCH_SIZES, key="w_batch_size")
    if applies("hidden", model):
        sb.select_slider("Hidden width (G and D)", WIDTHS, key="w_hidden", persist_state="session")
        sb.slider("Hidden layers (G and D)", *_range("depth"), key="w_depth", persist_state="session")
    sb.radio(
        "G loss",
        CHOICES["g_loss"],
        key="w_g_loss",
        format_func=G_LOSS_LABELS.get,
        help="Section 3 of the paper: the minimax loss saturates when D rejects fakes confidently.",
    )
    sb.radio(
        "Optimiser",
        CHOICES["optimizer"],
        key="w_optimizer",
        horizontal=True,
        format_func={"adam": "Adam", "sgd": "SGD + momentum"}.get,
    )
    momentum = OPTIONS["momentum"]
    sb.slider("Momentum (SGD) / β₁ (Adam)", momentum.lo, momentum.hi, step=momentum.step, key="w_momentum")
    sb.slider(
        "PacGAN packing (D sees this many samples at once)",
        *_range("pack"),
        key="w_pack",
        help="A remedy for mode collapse (Lin et al. 2018): D judges packs of samples, all real or all "
        "fake, so a generator that repeats itself is easy to catch. 1 = a plain GAN.",
    )
    sb.select_slider(
        "Instance noise σ on D's inputs",
        INSTANCE_NOISE_CHOICES,
        key="w_instance_noise",
        format_func=_off_or_value,
        help="Another remedy (Sønderby et al. 2016): Gaussian noise of this std is added to every "
        "sample D sees, real and fake. The blurred distributions overlap, so G is pulled towards "
        "modes it has not reached yet. While it is on, D approximates the optimum for the blurred "
        "densities, not D*.",
    )
    sb.number_input(
        "Instance noise fades out over (iterations)",
        *_range("instance_noise_steps"),
        step=1000,
        key="w_instance_noise_steps",
        help="0: constant noise. Otherwise σ falls linearly to 0 over this many iterations.",
    )
    sb.select_slider(
        "R1 penalty γ on D",
        R1_CHOICES,
        key="w_r1",
        format_func=_off_or_value,
        help="Mescheder et al. 2018: D's loss gains (γ/2)·|∇ₓD(x)|² at real samples, so D cannot "
        "build steep walls around the modes and the game settles instead of circling; it keeps G "
        "spread over all of grid25's modes. Costs a second backward pass per D step.",
    )
    if applies("g_activation", model):
        _mlp_units_ui(sb)
    sb.select_slider(
        "Average of G's weights (EMA)",
        EMA_CHOICES,
        key="w_ema",
        format_func=_off_or_value,
        help="Pictures, metrics and samples from an exponential moving average of G's weights, which "
        "smooths out the oscillation of the game. Training itself is unchanged. Warmed up: early on "
        "it follows G closely; 0.9999 averages the last ~10,000 iterations of a long run.",
    )
    sb.number_input(
        "Learning-rate decay over (iterations)",
        *_range("decay_steps"),
        step=1000,
        key="w_decay_steps",
        help="0: constant learning rates. Otherwise both fall linearly to 2 % over this many "
        "iterations and stay there, so the game settles.",
    )
    sb.number_input("Seed", *_range("seed"), step=1, key="w_seed")
    sb.select_slider(
        "Iterations per frame",
        STEPS_CHOICES,
        key="w_steps_per_frame",
        help="Training iterations between two redraws while playing. Auto: as many as leave a "
        f"whole frame (training and drawing) at about {FRAME_TARGET_S * 1000:.0f} ms "
        f"({IMAGE_FRAME_TARGET_S * 1000:.0f} ms for MNIST), so the picture redraws about "
        f"{1 / FRAME_TARGET_S:.0f} times a second and the rest of the time trains. "
        "More per frame trains faster and redraws less often.",
    )
    values = {name[2:]: st.session_state[name] for name in st.session_state if str(name).startswith("w_")}
    if values["p_data"] not in P_DATA_IMAGES:
        values["model"] = "mlp"  # the MNIST networks exist for images only
    steps = values.pop("steps_per_frame")
    view = ViewOptions(steps_per_frame=None if steps == "auto" else int(steps))
    if values["p_data"] == "custom":
        values["points"] = st.session_state.get("user_points", ())
    try:
        return Config(**values), view
    except ConfigError as exc:
        sb.error(str(exc))
        return None, view


def _mlp_units_ui(sb) -> None:
    """G's hidden units and D's maxout pieces: settings of the "mlp" networks only."""
    sb.radio(
        "G's hidden units",
        CHOICES["g_activation"],
        key="w_g_activation",
        persist_state="session",
        horizontal=True,
        format_func={"silu": "SiLU", "relu": "ReLU", "leaky_relu": "LeakyReLU"}.get,
        help="SiLU is smooth (so is p_g); ReLU's kinks let G jump between separated modes.",
    )
    sb.slider(
        "Maxout pieces in D's units",
        *_range("maxout"),
        key="w_maxout",
        persist_state="session",
        help="1: LeakyReLU units. More: maxout units (the paper's discriminators), each the max of "
        "that many linear pieces, which draw sharper boundaries.",
    )
