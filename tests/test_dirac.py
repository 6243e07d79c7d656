"""The Dirac-GAN: eigenvalues taken by autograd from the update map, against the closed forms
of Mescheder et al. (2018) and matrices written by hand; trajectories against autograd and
against torch.optim; the command line."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from ganlab.cli import main
from ganlab.losses import d_loss, g_loss
from ganlab.train.dirac import DiracGame, eigenvalues, trajectory, vector_field, verdict


def spectrum(game: DiracGame) -> np.ndarray:
    return np.sort_complex(eigenvalues(game).numpy())


@pytest.mark.parametrize("loss", ["minimax", "non-saturating"])
@pytest.mark.parametrize("h", [0.01, 0.1, 0.5, 2.0])
def test_simultaneous_gradient_descent_has_eigenvalues_one_plus_minus_i_h_over_two(h, loss):
    values = spectrum(DiracGame(lr_d=h, lr_g=h, rule="simultaneous", g_loss=loss))
    np.testing.assert_allclose(values, [1 - 0.5j * h, 1 + 0.5j * h], atol=1e-12)
    assert verdict(eigenvalues(DiracGame(lr_d=h, lr_g=h, rule="simultaneous"))).startswith("spirals out")


def test_simultaneous_with_two_learning_rates():
    values = spectrum(DiracGame(lr_d=0.2, lr_g=0.05, rule="simultaneous"))
    root = math.sqrt(0.2 * 0.05) / 2
    np.testing.assert_allclose(values, [1 - 1j * root, 1 + 1j * root], atol=1e-12)


@pytest.mark.parametrize("h_d, h_g, k", [(0.1, 0.1, 1), (0.5, 0.5, 1), (1.0, 0.3, 1), (0.1, 0.2, 3)])
def test_alternating_gradient_descent_circles(h_d, h_g, k):
    """Linearised at (0, 0), k steps ψ <- ψ - (h_D/2) θ, then θ <- θ + (h_G/2) ψ: the matrix
    [[1 - k a b, b], [-k a, 1]] with a = h_D/2, b = h_G/2, of determinant 1."""
    a, b = h_d / 2, h_g / 2
    by_hand = np.sort_complex(np.linalg.eigvals(np.array([[1 - k * a * b, b], [-k * a, 1]])))
    values = spectrum(DiracGame(lr_d=h_d, lr_g=h_g, k=k, rule="alternating"))
    np.testing.assert_allclose(values, by_hand, atol=1e-12)
    np.testing.assert_allclose(np.abs(values), 1.0, atol=1e-12)
    assert verdict(eigenvalues(DiracGame(lr_d=h_d, lr_g=h_g, k=k))).startswith("circles")


@pytest.mark.parametrize("gamma", [0.3, 1.0, 4.0])
def test_r1_moves_the_eigenvalues_inside_the_unit_circle(gamma):
    """The field's Jacobian at (0, 0) becomes [[0, 1/2], [-1/2, -γ]] (D's loss gains (γ/2)ψ²),
    eigenvalues (-γ ± √(γ² - 1))/2; one simultaneous step of size h maps them to 1 + hλ."""
    h = 0.1
    lam = (-gamma + np.sqrt(complex(gamma**2 - 1))) / 2, (-gamma - np.sqrt(complex(gamma**2 - 1))) / 2
    values = spectrum(DiracGame(lr_d=h, lr_g=h, rule="simultaneous", r1=gamma))
    np.testing.assert_allclose(values, np.sort_complex(1 + h * np.array(lam)), atol=1e-12)
    assert np.abs(values).max() < 1
    assert "converges" in verdict(eigenvalues(DiracGame(lr_d=h, lr_g=h, rule="alternating", r1=gamma)))


def test_momentum_adds_each_players_velocity_to_the_map():
    """SGD with momentum μ, simultaneous, linearised: v' = μv + g, x' = x - h v', with the
    gradients g_θ = -ψ/2 and g_ψ = θ/2 at the equilibrium: a 4 x 4 matrix by hand."""
    h, mu = 0.1, 0.5
    grad = np.array([[0, -0.5], [0.5, 0]])  # (g_θ, g_ψ) = grad @ (θ, ψ)
    step_v = np.hstack([grad, mu * np.eye(2)])  # v' from (θ, ψ, v_θ, v_ψ)
    step_x = np.hstack([np.eye(2), np.zeros((2, 2))]) - h * step_v
    by_hand = np.sort_complex(np.linalg.eigvals(np.vstack([step_x, step_v])))
    game = DiracGame(lr_d=h, lr_g=h, rule="simultaneous", momentum=mu)
    np.testing.assert_allclose(spectrum(game), by_hand, atol=1e-12)


def test_adam_has_no_linear_map_at_the_equilibrium():
    game = DiracGame(optimizer="adam", momentum=0.5, lr_d=0.01, lr_g=0.01)
    assert eigenvalues(game) is None and "Adam" in verdict(None)


GAMES = [
    DiracGame(),
    DiracGame(rule="simultaneous", g_loss="non-saturating"),
    DiracGame(k=3, lr_d=0.3),
    DiracGame(r1=1.0, instance_noise=0.5),
    DiracGame(rule="simultaneous", momentum=0.7),
    DiracGame(optimizer="adam", momentum=0.5, lr_d=0.05, lr_g=0.02, k=2),
]


@pytest.mark.parametrize("game", GAMES, ids=range(len(GAMES)))
def test_the_written_out_gradients_follow_autograd(game):
    fast = trajectory(game, 1.0, -0.7, 200)
    reference = trajectory(game, 1.0, -0.7, 200, by="autograd")
    np.testing.assert_allclose(fast, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("game", [g for g in GAMES if not g.instance_noise], ids=range(5))
def test_trajectories_match_torch_optim_on_the_trainers_losses(game):
    """An independent reference: two nn.Parameters, torch.optim's SGD or Adam, and the
    trainer's d_loss and g_loss on D's logits (D(x) = σ(ψx), real x = 0, fake x = θ)."""
    theta = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    psi = torch.nn.Parameter(torch.tensor(-0.7, dtype=torch.float64))

    def optimizer(p, lr):
        if game.optimizer == "adam":
            return torch.optim.Adam([p], lr=lr, betas=(game.momentum, 0.999))
        return torch.optim.SGD([p], lr=lr, momentum=game.momentum)

    opt_g, opt_d = optimizer(theta, game.lr_g), optimizer(psi, game.lr_d)
    zero = torch.zeros((), dtype=torch.float64)

    def d_step():
        opt_d.zero_grad()
        x = zero.clone().requires_grad_(bool(game.r1))
        real = psi * x
        loss = d_loss(real, psi * theta.detach())
        if game.r1:
            (slope,) = torch.autograd.grad(real, x, create_graph=True)
            loss = loss + game.r1 / 2 * slope**2
        loss.backward()

    def g_step():
        opt_g.zero_grad()
        g_loss(psi.detach() * theta, game.g_loss).backward()

    path = [(1.0, -0.7)]
    for _ in range(100):
        if game.rule == "simultaneous":
            d_step()
            g_step()
            opt_d.step()
            opt_g.step()
        else:
            for _ in range(game.k):
                d_step()
                opt_d.step()
            g_step()
            opt_g.step()
        path.append((theta.item(), psi.item()))
    np.testing.assert_allclose(trajectory(game, 1.0, -0.7, 100), path, rtol=1e-9, atol=1e-12)


def test_the_field_is_minus_each_players_gradient():
    """Minimax: -∂/∂θ log(1 - σ(ψθ)) = ψσ(ψθ) and -∂/∂ψ [-log σ(0) - log(1 - σ(ψθ))] = -θσ(ψθ)."""
    theta, psi = torch.tensor([1.0, -2.0, 0.3]), torch.tensor([0.5, 1.5, -1.0])
    d_theta, d_psi = vector_field(DiracGame(), theta, psi)
    s = torch.sigmoid(psi.double() * theta.double())
    torch.testing.assert_close(d_theta, psi.double() * s)
    torch.testing.assert_close(d_psi, -theta.double() * s)


def test_ganlab_dirac_json_is_the_start_then_one_point_per_iteration(capsys):
    assert main(["dirac", "--rule", "simultaneous", "--lr", "0.1", "--steps", "50", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["trajectory"]) == 51 and out["trajectory"][0] == [1.0, 1.0]
    np.testing.assert_allclose(
        sorted(map(tuple, out["eigenvalues"])), [(1.0, -0.05), (1.0, 0.05)], atol=1e-12
    )
    radius = [math.hypot(*p) for p in out["trajectory"]]
    assert radius[-1] > radius[0] and out["verdict"].startswith("spirals out")
    assert out["iterations"] == 50 and out["diverged"] is False
    assert (
        main(["dirac", "--rule", "alternating", "--lr", "0.1", "--r1", "1", "--steps", "2000", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert math.hypot(*out["trajectory"][-1]) < 1e-6 and out["modulus"] < 1
    args = ["dirac", "--rule", "simultaneous", "--lr", "10", "--loss", "non-saturating", "--steps", "1000"]
    assert main([*args, "--json"]) == 0  # it leaves the plane: the trajectory says where it stopped
    out = json.loads(capsys.readouterr().out)
    assert out["diverged"] is True and out["iterations"] == len(out["trajectory"]) - 1 < 1000


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--rule", "simultaneous", "--lr", "0"], "--lr: expected a number from 1e-06 to 10"),
        (["--rule", "simultaneous", "--lr", "-1"], "--lr: expected a number"),
        (["--rule", "alternating", "--lr", "0.1", "--k", "21"], "--k: expected an integer from 1 to 20"),
        (["--rule", "both", "--lr", "0.1"], "invalid choice: 'both'"),
        (["--rule", "alternating", "--lr", "0.1", "--theta0", "nan"], "--theta0: expected a number"),
        (["--rule", "alternating", "--lr", "0.1", "--steps", "0"], "--steps: expected an integer"),
        (["--lr", "0.1"], "required: --rule"),
        (["--rule", "simultaneous", "--lr", "0.1", "--k", "3"], "applies to --rule alternating only"),
    ],
)
def test_bad_dirac_input_is_one_line_and_exit_2(args, fragment, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.cli", "dirac", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not result.stdout
