"""The game with two parameters: the Dirac-GAN of Mescheder, Geiger and Nowozin ("Which Training
Methods for GANs do actually converge?", ICML 2018).

p_data = δ₀, G = δ_θ (G puts all its mass at θ) and D_ψ(x) = σ(ψx). The paper's value function
is V(θ, ψ) = log D_ψ(0) + log(1 − D_ψ(θ)) = f(0) + f(−ψθ) with f(t) = log σ(t); its only
equilibrium is (θ, ψ) = (0, 0). Here V is written with the trainer's own objectives
(``ganlab.losses`` on D's logits ψx), so D ascends what the trainer's D ascends (with the same
R1 penalty and instance noise) and G descends what its G descends, minimax or non-saturating.

One training iteration is a differentiable map of (θ, ψ) and the optimisers' state. The
eigenvalues of its Jacobian at the equilibrium, taken by autograd from the map itself, say
what the game does there: a modulus above 1 spirals out, 1 circles, below 1 spirals in.
Trajectories run the same iteration on plain numbers with the gradients written out
(``_formula_gradients``), ~500 times faster than autograd on two scalars, so that a drawn
path of thousands of iterations follows a slider at once; a test checks them against the
autograd ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import torch
from scipy import special, stats

from ganlab.config import CHOICES, Config, ConfigError
from ganlab.losses import d_loss, g_loss

__all__ = ["RULES", "DiracGame", "trajectory", "eigenvalues", "verdict", "vector_field", "paper_statement"]

RULES = ("simultaneous", "alternating")
NOISE_NODES = 64  # instance noise: D's expected objective over this many equal-weight Gaussian quantiles
ADAM_BETA2, ADAM_EPS = 0.999, 1e-8  # as torch.optim.Adam's defaults, and the trainer's
LIMIT = 1e6  # |θ| or |ψ| beyond this: the trajectory has diverged, and stops


@dataclass(frozen=True)
class DiracGame:
    """How the two players train: learning rates, k, the update rule, G's loss, the optimiser
    (SGD with ``momentum``, 0 for plain SGD, or Adam with beta1 = ``momentum``) and the aids."""

    lr_d: float = 0.1  # D's learning rate (ψ)
    lr_g: float = 0.1  # G's learning rate (θ)
    k: int = 1  # alternating: ψ steps per θ step (Algorithm 1's k)
    rule: str = "alternating"  # "simultaneous": θ and ψ step together from the same point
    g_loss: str = "minimax"  # or "non-saturating"
    optimizer: str = "sgd"
    momentum: float = 0.0
    r1: float = 0.0  # γ of the R1 penalty on D's slope at real data
    instance_noise: float = 0.0  # σ of the Gaussian noise on every input of D

    def __post_init__(self) -> None:
        checks = {
            "lr_d": (1e-6, 10.0),
            "lr_g": (1e-6, 10.0),
            "k": (1, 20),
            "momentum": (0.0, 0.999),
            "r1": (0.0, 100.0),
            "instance_noise": (0.0, 5.0),
        }
        for name, (lo, hi) in checks.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{name} must be a finite number, got {value!r}")
            if not lo <= value <= hi:
                raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")
        for name, allowed in (
            ("rule", RULES),
            ("g_loss", CHOICES["g_loss"]),
            ("optimizer", CHOICES["optimizer"]),
        ):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")

    @classmethod
    def from_config(cls, cfg: Config, rule: str) -> DiracGame:
        """The game under a run's settings (the dashboard's sidebar), with ``rule``."""
        shared = {f.name for f in fields(cls)} & {f.name for f in fields(Config)}
        return cls(rule=rule, **{name: getattr(cfg, name) for name in shared})

    @property
    def state_size(self) -> int:
        """Numbers of optimiser state per player that the map carries (SGD without momentum: none)."""
        if self.optimizer == "adam":
            return 2
        return 1 if self.momentum else 0


def _noise(sigma: float) -> np.ndarray:
    """Where D's inputs are moved by instance noise: 0, or NOISE_NODES equal-weight quantiles of
    N(0, σ²), so that a mean over them is D's expected objective, deterministically."""
    if not sigma:
        return np.zeros(1)
    return sigma * stats.norm.ppf((np.arange(NOISE_NODES) + 0.5) / NOISE_NODES)


def _d_objective(theta: torch.Tensor, psi: torch.Tensor, game: DiracGame, eps: torch.Tensor) -> torch.Tensor:
    """What D descends: −V on its logits ψx for real x = 0 and fake x = θ (each moved by the
    instance noise), plus (γ/2)|∂ logit/∂x|² at the real data, as the trainer's d_step."""
    x = eps + torch.zeros_like(theta)  # the real data δ₀, blurred
    loss = d_loss(psi * x, psi * (theta + eps))
    if game.r1:
        slope = torch.func.grad(lambda x: (psi * x).sum())(x)  # ∂ logit / ∂x at each real x
        loss = loss + game.r1 / 2 * slope.pow(2).mean()
    return loss


def _g_objective(theta: torch.Tensor, psi: torch.Tensor, game: DiracGame, eps: torch.Tensor) -> torch.Tensor:
    """What G descends: log(1 − D(θ)) (minimax) or −log D(θ) (non-saturating)."""
    return g_loss(psi * (theta + eps), game.g_loss)


def _d_gradient(theta: torch.Tensor, psi: torch.Tensor, game: DiracGame, eps: torch.Tensor) -> torch.Tensor:
    """∂(D's loss)/∂ψ with θ held fixed. A partial derivative (torch.func.grad), not autograd's
    total one: in an alternating iteration ψ already depends on θ, and G's gradient at the new ψ
    must not flow back through D's step. It stays differentiable for the map's Jacobian."""
    return torch.func.grad(lambda p: _d_objective(theta, p, game, eps))(psi)


def _g_gradient(theta: torch.Tensor, psi: torch.Tensor, game: DiracGame, eps: torch.Tensor) -> torch.Tensor:
    """∂(G's loss)/∂θ with ψ held fixed (see _d_gradient)."""
    return torch.func.grad(lambda t: _g_objective(t, psi, game, eps))(theta)


Number = float | torch.Tensor  # a plain number (trajectories) or a 0-dim tensor (the Jacobian)
Gradients = tuple[Callable[[Number, Number], Number], Callable[[Number, Number], Number]]  # (D's, G's)


def _step(p: Number, g: Number, state: list, lr: float, game: DiracGame) -> Number:
    """One optimiser step of parameter ``p`` along gradient ``g``, as torch.optim's SGD (with
    momentum) and Adam make it; ``state`` ([velocity] or [m, v, steps]) is updated in place."""
    if game.optimizer == "adam":
        m, v, t = state
        t += 1
        m = game.momentum * m + (1 - game.momentum) * g
        v = ADAM_BETA2 * v + (1 - ADAM_BETA2) * g * g
        state[:] = [m, v, t]
        m_hat, v_hat = m / (1 - game.momentum**t), v / (1 - ADAM_BETA2**t)
        return p - lr * m_hat / (v_hat**0.5 + ADAM_EPS)
    if game.momentum:
        state[0] = game.momentum * state[0] + g
        return p - lr * state[0]
    return p - lr * g


def _iteration(
    theta: Number, psi: Number, g_state: list, d_state: list, game: DiracGame, grads: Gradients
) -> tuple[Number, Number]:
    """One iteration: simultaneous (both players step from the same point) or alternating
    (Algorithm 1: k steps of ψ, then one of θ against the new ψ)."""
    d_grad, g_grad = grads
    if game.rule == "simultaneous":
        g_theta, g_psi = g_grad(theta, psi), d_grad(theta, psi)
        return _step(theta, g_theta, g_state, game.lr_g, game), _step(psi, g_psi, d_state, game.lr_d, game)
    for _ in range(game.k):
        psi = _step(psi, d_grad(theta, psi), d_state, game.lr_d, game)
    theta = _step(theta, g_grad(theta, psi), g_state, game.lr_g, game)
    return theta, psi


def _autograd_gradients(game: DiracGame) -> Gradients:
    """D's and G's partial gradients, by torch from the trainer's objectives (tensors in and out)."""
    eps = torch.as_tensor(_noise(game.instance_noise))
    return (lambda t, p: _d_gradient(t, p, game, eps)), (lambda t, p: _g_gradient(t, p, game, eps))


def _formula_gradients(game: DiracGame) -> Gradients:
    """The same gradients written out (plain numbers in and out). With real x = ε and fake
    x = θ + ε over the noise nodes ε, and σ the logistic function:
    ∂(D's loss)/∂ψ = mean[−ε σ(−ψε)] + mean[(θ + ε) σ(ψ(θ + ε))] + γψ (R1: D's slope is ψ);
    ∂(G's loss)/∂θ = −ψ mean σ(ψ(θ + ε)) (minimax) or −ψ mean σ(−ψ(θ + ε)) (non-saturating)."""
    eps = _noise(game.instance_noise)
    sign = 1.0 if game.g_loss == "minimax" else -1.0

    def d_grad(theta: float, psi: float) -> float:
        fake = theta + eps
        return float(
            np.mean(fake * special.expit(psi * fake) - eps * special.expit(-psi * eps)) + game.r1 * psi
        )

    def g_grad(theta: float, psi: float) -> float:
        return float(-psi * np.mean(special.expit(sign * psi * (theta + eps))))

    return d_grad, g_grad


def trajectory(
    game: DiracGame, theta0: float, psi0: float, steps: int, by: str = "formula"
) -> list[tuple[float, float]]:
    """(θ, ψ) at the start and after each of ``steps`` iterations, from fresh optimisers; it stops
    early once a coordinate passes LIMIT or stops being finite (the game diverged). ``by``:
    "formula" (the gradients written out: fast) or "autograd" (torch differentiates the
    trainer's objectives: the reference, ~500 times slower)."""
    if by == "autograd":
        grads: Gradients = _autograd_gradients(game)
        theta, psi = (
            torch.tensor(float(theta0), dtype=torch.float64),
            torch.tensor(float(psi0), dtype=torch.float64),
        )
    else:
        grads, theta, psi = _formula_gradients(game), float(theta0), float(psi0)
    rest = [0.0, 0.0, 0] if game.optimizer == "adam" else [0.0]
    g_state, d_state = list(rest), list(rest)
    points = [(float(theta0), float(psi0))]
    for _ in range(steps):
        theta, psi = _iteration(theta, psi, g_state, d_state, game, grads)
        point = (float(theta), float(psi))
        points.append(point)
        if not all(math.isfinite(v) and abs(v) < LIMIT for v in point):
            break
    return points


def _map(game: DiracGame) -> Callable[[torch.Tensor], torch.Tensor]:
    """One iteration as a function of the stacked state: θ, ψ, then each player's velocity
    (SGD with momentum); what the Jacobian (torch.func.jacrev) differentiates."""
    grads = _autograd_gradients(game)

    def one(state: torch.Tensor) -> torch.Tensor:
        theta, psi = state[0], state[1]
        g_state = [state[2]] if game.momentum else [None]
        d_state = [state[3]] if game.momentum else [None]
        theta, psi = _iteration(theta, psi, g_state, d_state, game, grads)
        return torch.stack([theta, psi, *(g_state + d_state if game.momentum else [])])

    return one


def eigenvalues(game: DiracGame) -> torch.Tensor | None:
    """The eigenvalues of one iteration's Jacobian at the equilibrium (0, 0) with the optimisers
    at rest, taken by autograd from the update map itself (complex, float64). None for Adam:
    its steps are divided by the running size of the gradient, which is 0 there, so it has no
    linear map at the equilibrium to read."""
    if game.optimizer == "adam":
        return None
    size = 4 if game.momentum else 2
    jacobian = torch.func.jacrev(_map(game))(torch.zeros(size, dtype=torch.float64))
    return torch.linalg.eigvals(jacobian)


def verdict(values: torch.Tensor | None, tol: float = 1e-9) -> str:
    """The largest modulus in words: "spirals out (diverges)", "circles (...)", "spirals in
    (converges)", or "moves out" / "moves in" when that eigenvalue is real (no turning)."""
    if values is None:
        return "no linear map at the equilibrium (Adam)"
    top = values[torch.argmax(values.abs())]
    rho = float(top.abs())
    turning = abs(float(top.imag)) > tol
    if abs(rho - 1) <= tol:
        return "circles (neither converges nor diverges)" if turning else "stays (an eigenvalue of 1)"
    if rho > 1:
        return "spirals out (diverges)" if turning else "moves out (diverges)"
    return "spirals in (converges)" if turning else "moves in (converges)"


def vector_field(
    game: DiracGame, theta: torch.Tensor, psi: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each player's gradient step points at each (θ, ψ) of the given arrays: (−∂G's
    loss/∂θ, −∂D's loss/∂ψ), the field of simultaneous gradient descent (the update rule and
    the optimiser are not in it). All points in one pass: each is a row of the batch, and the
    losses' means over the rows are undone by the factor n."""
    eps = torch.as_tensor(_noise(game.instance_noise))
    t, p = theta.reshape(-1, 1).to(torch.float64), psi.reshape(-1, 1).to(torch.float64)
    n = len(t)
    g_theta, g_psi = _g_gradient(t, p, game, eps), _d_gradient(t, p, game, eps)
    return (-n * g_theta).reshape(theta.shape), (-n * g_psi).reshape(psi.shape)


def paper_statement(game: DiracGame) -> str:
    """What Mescheder, Geiger and Nowozin (2018) show for this kind of setting, to read beside
    the eigenvalues computed here."""
    paper = "(Mescheder, Geiger and Nowozin 2018)"
    if game.optimizer == "adam":
        return (
            "The paper's analysis is of gradient descent. Adam divides each step by the running size of "
            "the gradient, which vanishes at the equilibrium, so there is no linear map there to read: "
            "the trajectory shows what it does."
        )
    if game.momentum:
        return (
            "The paper's statements are for plain gradient descent. With momentum each player also "
            "carries a velocity, so one iteration acts on four numbers and has four eigenvalues."
        )
    if game.r1 or game.instance_noise:
        aid = "the R1 penalty on D's slope at the data" if game.r1 else "instance noise"
        return (
            f"With {aid}, the eigenvalues of gradient descent move inside the unit circle for small "
            f"enough steps, and the game converges to the equilibrium {paper}."
        )
    if game.rule == "simultaneous":
        said = (
            "Simultaneous gradient descent has eigenvalues 1 ± i·√(h_D·h_G)/2 at the equilibrium (h the "
            f"learning rates): outside the unit circle for every step size, so it spirals out {paper}."
        )
    else:
        said = (
            "Alternating gradient descent (Algorithm 1) has its eigenvalues on the unit circle for small "
            f"enough steps: it circles the equilibrium for ever, neither converging nor diverging {paper}."
        )
    if game.g_loss == "non-saturating":
        said += (
            " The non-saturating loss has the same eigenvalues there (the same linear map); away from "
            "the equilibrium its other terms bend the trajectory, slowly, which eigenvalues cannot show."
        )
    return said
