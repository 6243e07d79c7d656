"""Sidebar widgets -> ToyConfig, and the session's trainer state."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.sessions import FREED_KEY, take_seat
from ganlab.config import CHOICES, LIMITS, P_DATA_1D, P_DATA_IMAGES, ConfigError, ToyConfig
from ganlab.data import DISTRIBUTIONS_1D, DISTRIBUTIONS_2D
from ganlab.plots import LAYERS
from ganlab.presets import PRESETS
from ganlab.train import Trainer

LEARNING_RATES = [
    1e-5,
    2e-5,
    5e-5,
    1e-4,
    2e-4,
    5e-4,
    1e-3,
    2e-3,
    5e-3,
    1e-2,
    2e-2,
    5e-2,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
]
BATCH_SIZES = [16, 32, 64, 100, 128, 256, 512, 1024, 2048]
WIDTHS = [4, 8, 16, 32, 64, 128, 256, 512]
G_LOSS_LABELS = {"non-saturating": "non-saturating: −log D(G(z))", "minimax": "minimax: log(1 − D(G(z)))"}
DEFAULT_PRESET = "paper-1d"
EMA_CHOICES = [0.0, 0.9, 0.99, 0.999, 0.9995, 0.9999]
INSTANCE_NOISE_CHOICES = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
R1_CHOICES = [0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0]
MODEL_LABELS = {
    "mlp": "MLP (hidden width x layers below)",
    "paper": "the paper's (maxout D, dropout)",
    "tutorial": "tutorial MLP (BatchNorm G)",
    "dcgan": "small DCGAN (convolutions)",
}
STEPS_CHOICES = ["auto", 1, 2, 3, 5, 10, 20, 50, 100, 200]
FRAME_TARGET_S = 0.04  # auto iterations per frame: a whole frame (training + drawing) aims at 25/s
MIN_TRAIN_S = 0.01  # ... but each frame trains at least this long (and at least one iteration)
# ... and, when drawing alone takes longer than the target (a busy server: ten sessions share
# its cores), at least this fraction of the drawing time, so a crowded room still trains.
MIN_TRAIN_SHARE = 0.5
# MNIST: frames of 50 ms, one iteration or more each. At 100 ms (3 a rerun) the view redrew
# 9.5 times a second and trained 16 G updates; at 50 ms (6 a rerun) 12-14 and 12.5-14
# (tools/liveperf.py, mnist-mlp, this 2-core machine): smoother, and each frame still trains.
IMAGE_FRAME_TARGET_S = 0.05
IMAGE_FRAMES_PER_RUN = 6  # MNIST: grid frames per fragment rerun (the rerun's overhead is paid once)


def reset_pace(state) -> None:
    """Forget the measured pace of training and of drawing (auto iterations per frame)."""
    for key in ("s_per_iteration", "frame_overhead_s", "frame_started", "frame_train_s"):
        state.pop(key, None)


# What the views keep of one model between reruns: D's last histograms, the evaluations asked for.
MODEL_VIEW_KEYS = ("mnist_d_hist", "digits_result", "parzen_result")


def new_model(state, trainer: Trainer | None = None, history: list | None = None) -> None:
    """A model built, rebuilt, reset or loaded: its metric history (empty for a new one), and
    nothing left on show from the one before; the pace of training is measured again."""
    if trainer is not None:
        state["trainer"] = trainer
    state["history"] = history if history is not None else []
    for key in MODEL_VIEW_KEYS:
        state.pop(key, None)
    reset_pace(state)


@dataclass(frozen=True)
class ViewOptions:
    steps_per_frame: int | None  # training iterations between two redraws; None: auto (a time budget)


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


def _snap_to(options: list, value):
    return min(options, key=lambda o: abs(o - value))


def preset_widget_values(preset: str) -> dict[str, object]:
    """The sidebar's values for ``preset`` (w_* keys), snapped to the choices each widget offers."""
    return config_widget_values(PRESETS[preset].config)


def config_widget_values(cfg: ToyConfig) -> dict[str, object]:
    """The sidebar's values for ``cfg`` (w_* keys), snapped to the choices each widget offers."""
    values: dict[str, object] = {}
    for name in (
        "p_data",
        "model",
        "k",
        "latent_dim",
        "depth",
        "g_loss",
        "optimizer",
        "noise",
        "seed",
        "pack",
        "maxout",
        "g_activation",
        "decay_steps",
        "instance_noise_steps",
    ):
        values[f"w_{name}"] = getattr(cfg, name)
    values["w_lr_d"] = _snap_to(LEARNING_RATES, cfg.lr_d)
    values["w_lr_g"] = _snap_to(LEARNING_RATES, cfg.lr_g)
    values["w_batch_size"] = _snap_to(BATCH_SIZES, cfg.batch_size)
    values["w_hidden"] = _snap_to(WIDTHS, cfg.hidden)
    values["w_momentum"] = cfg.momentum
    values["w_ema"] = _snap_to(EMA_CHOICES, cfg.ema)
    values["w_instance_noise"] = _snap_to(INSTANCE_NOISE_CHOICES, cfg.instance_noise)
    values["w_r1"] = _snap_to(R1_CHOICES, cfg.r1)
    return values


def _load_preset_into_widgets() -> None:
    st.session_state.update(preset_widget_values(st.session_state["preset"]))


def init_state() -> None:
    """Widget defaults and this browser session's own trainer, created once."""
    if "preset" not in st.session_state:
        st.session_state["preset"] = DEFAULT_PRESET
        _load_preset_into_widgets()
        st.session_state["w_steps_per_frame"] = "auto"
        st.session_state["show_d_star"] = True
        st.session_state["bg2d"] = "d"
        st.session_state["layers2d"] = list(LAYERS)
        from dashboard.urlstate import read_url  # a link's setup (urlstate builds on this module)

        read_url()


def sidebar_ui() -> tuple[ToyConfig | None, ViewOptions]:
    """Every knob of the experiment; returns the config they describe (None if invalid)."""
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
    lr_fmt = "{:g}".format
    sb.select_slider("Learning rate of D", LEARNING_RATES, key="w_lr_d", format_func=lr_fmt)
    sb.select_slider("Learning rate of G", LEARNING_RATES, key="w_lr_g", format_func=lr_fmt)
    sb.slider(
        "k: D steps per G step", 1, 20, key="w_k", help="Algorithm 1's inner loop; the paper used k = 1."
    )
    sb.slider(
        "Latent dimension (z)",
        1,
        int(LIMITS["latent_dim"][1]),
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
    sb.select_slider("Hidden width (G and D)", WIDTHS, key="w_hidden")
    sb.slider("Hidden layers (G and D)", 1, 4, key="w_depth")
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
    sb.slider("Momentum (SGD) / β₁ (Adam)", 0.0, 0.99, step=0.01, key="w_momentum")
    sb.slider(
        "PacGAN packing (D sees this many samples at once)",
        1,
        8,
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
        0,
        1_000_000,
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
    sb.radio(
        "G's hidden units",
        CHOICES["g_activation"],
        key="w_g_activation",
        horizontal=True,
        format_func={"silu": "SiLU", "relu": "ReLU", "leaky_relu": "LeakyReLU"}.get,
        help="SiLU is smooth (so is p_g); ReLU's kinks let G jump between separated modes.",
    )
    sb.slider(
        "Maxout pieces in D's units",
        1,
        8,
        key="w_maxout",
        help="1: LeakyReLU units. More: maxout units (the paper's discriminators), each the max of "
        "that many linear pieces, which draw sharper boundaries.",
    )
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
        0,
        1_000_000,
        step=1000,
        key="w_decay_steps",
        help="0: constant learning rates. Otherwise both fall linearly to 2 % over this many "
        "iterations and stay there, so the game settles.",
    )
    sb.number_input("Seed", 0, 2**31 - 1, step=1, key="w_seed")
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
        return ToyConfig(**values), view
    except ConfigError as exc:
        sb.error(str(exc))
        return None, view


def session_trainer(cfg: ToyConfig) -> Trainer:
    """This session's trainer, brought in line with ``cfg`` (live where possible)."""
    state = st.session_state
    take_seat()  # at most GANLAB_MAX_SESSIONS sessions train at once; a closed one frees its trainer
    if "trainer" not in state:
        new_model(state, Trainer(cfg))
        state["running"] = False
        if state.pop(FREED_KEY, False):
            st.toast(
                "The connection was lost, so this session's model was freed: a new one was built "
                "from the same settings."
            )
    elif state["trainer"].cfg != cfg:
        message = state["trainer"].apply(cfg)
        if message.startswith("rebuilt"):
            new_model(state)
        st.toast(message)
    return state["trainer"]


def reset_trainer(cfg: ToyConfig) -> None:
    new_model(st.session_state, Trainer(cfg))
    st.session_state["running"] = False
