"""`ganlab dirac`: the game's dynamics in two parameters (the Dirac-GAN), its trajectory and the
eigenvalues of one iteration at the equilibrium."""

from __future__ import annotations

import argparse
import json
import math
import sys

__all__ = ["cmd_dirac"]


def _number(value: float) -> float | None:
    """A JSON number, or null for one that is not finite (a trajectory that diverged)."""
    return value if math.isfinite(value) else None


def cmd_dirac(args: argparse.Namespace) -> int:
    """`ganlab dirac --rule R --lr H ...`: SGD without momentum on the Dirac-GAN from (θ₀, ψ₀)."""
    from ganlab.train.dirac import DiracGame, eigenvalues, paper_statement, trajectory, verdict

    game = DiracGame(
        lr_d=args.lr,
        lr_g=args.lr_g if args.lr_g is not None else args.lr,
        k=args.k,
        rule=args.rule,
        g_loss=args.loss,
        r1=args.r1,
        instance_noise=args.instance_noise,
    )
    path = trajectory(game, args.theta0, args.psi0, args.steps)
    values = eigenvalues(game)
    pairs = [[float(v.real), float(v.imag)] for v in values]
    if args.json:
        print(
            json.dumps(
                {
                    "trajectory": [[_number(t), _number(p)] for t, p in path],
                    "eigenvalues": pairs,
                    "modulus": max(math.hypot(*v) for v in pairs),
                    "verdict": verdict(values),
                }
            )
        )
        return 0
    shown = "  ".join(f"{re:.6f} {'+' if im >= 0 else '−'} {abs(im):.6f}i" for re, im in pairs)
    rho = max(math.hypot(*v) for v in pairs)
    end = path[-1]
    note = "" if len(path) == args.steps + 1 else f" (stopped after {len(path) - 1:,}: it diverged)"
    print(
        f"{game.rule} gradient descent, learning rates D {game.lr_d:g} G {game.lr_g:g}, k = {game.k}, "
        f"{game.g_loss} G loss{f', R1 γ {game.r1:g}' if game.r1 else ''}"
        f"{f', instance noise σ {game.instance_noise:g}' if game.instance_noise else ''}\n"
        f"eigenvalues of one iteration at (0, 0): {shown}; largest |λ| = {rho:.9f}: {verdict(values)}\n"
        f"(θ, ψ) from ({args.theta0:g}, {args.psi0:g}) to ({end[0]:.6g}, {end[1]:.6g}) in {args.steps:,} "
        f"iterations{note}; distance to the equilibrium {math.hypot(*path[0]):.4g} → {math.hypot(*end):.4g}\n"
        f"{paper_statement(game)}"
    )
    sys.stdout.flush()
    return 0
