"""The game's dynamics: `ganlab dirac` (the two-parameter GAN: a trajectory and the eigenvalues of
one iteration at the equilibrium) and `ganlab map` (a stability map of many GANs at once)."""

from __future__ import annotations

import argparse
import json
import math
import sys

__all__ = ["cmd_dirac", "cmd_map"]


def _number(value: float) -> float | None:
    """A JSON number, or null for one that is not finite (a trajectory that diverged)."""
    return value if math.isfinite(value) else None


def cmd_dirac(args: argparse.Namespace) -> int:
    """`ganlab dirac --rule R --lr H ...`: SGD without momentum on the Dirac-GAN from (θ₀, ψ₀)."""
    from ganlab.cli.common import UsageError
    from ganlab.train.dirac import DiracGame, eigenvalues, paper_statement, trajectory, verdict

    if args.rule == "simultaneous" and args.k != 1:
        raise UsageError("--k is Algorithm 1's D steps per G step: it applies to --rule alternating only")
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
                    "iterations": len(path) - 1,  # fewer than --steps: it left the plane (diverged)
                    "diverged": len(path) - 1 < args.steps,
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
        f"{game.rule} gradient descent, learning rates D {game.lr_d:g} G {game.lr_g:g}"
        f"{f', k = {game.k}' if game.rule == 'alternating' else ''}, "
        f"{game.g_loss} G loss{f', R1 γ {game.r1:g}' if game.r1 else ''}"
        f"{f', instance noise σ {game.instance_noise:g}' if game.instance_noise else ''}\n"
        f"eigenvalues of one iteration at (0, 0): {shown}; largest |λ| = {rho:.9f}: {verdict(values)}\n"
        f"(θ, ψ) from ({args.theta0:g}, {args.psi0:g}) to ({end[0]:.6g}, {end[1]:.6g}) in {args.steps:,} "
        f"iterations{note}; distance to the equilibrium {math.hypot(*path[0]):.4g} → {math.hypot(*end):.4g}\n"
        f"{paper_statement(game)}"
    )
    sys.stdout.flush()
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    """`ganlab map`: a grid of GANs that differ in two settings, trained at once; map.json and map.png."""
    from ganlab.cli.common import UsageError, new_dir, out_dir, progress
    from ganlab.config import ConfigError
    from ganlab.runs.maprun import MAX_GANS, MAX_GANS_SPLIT, MapSpec, parse_range

    try:
        spec = MapSpec(
            preset=args.preset,
            x=args.x,
            y=args.y,
            x_range=parse_range(args.x_range, args.x) if args.x_range else None,
            y_range=parse_range(args.y_range, args.y) if args.y_range else None,
            n=args.n,
            steps=args.steps,
            seeds=args.seeds,
            sets=tuple(args.set or ()),
            device=args.device,
            max_gans=MAX_GANS_SPLIT if args.address else MAX_GANS,
        )
    except (ConfigError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    out = out_dir(args.out)
    if args.address:
        return _map_split(args, spec, out)
    from ganlab.figures.map import render_map
    from ganlab.files import atomic_write, write_json
    from ganlab.runs.maprun import MapRun
    from ganlab.train.ensemble import memory_friendly_malloc

    try:
        run = MapRun(spec)  # builds the GANs: a device that is not there says so here
    except (ConfigError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    memory_friendly_malloc()
    with new_dir(out) as partial:
        gans, chunk = len(run.cells), max(1, min(100, spec.steps // 50))
        while not run.done:
            run.advance(chunk)
            rate = gans * run.iterations / max(run.seconds, 1e-9)
            progress(
                f"{gans:,} GANs, iteration {run.iterations:,}/{spec.steps:,} ({rate:,.0f} GAN-iterations/s)",
                run.iterations / spec.steps,
            )
        result = run.result()
        write_json(partial / "map.json", result)
        atomic_write(partial / "map.png", render_map(result))
    sys.stderr.write(f"\nwrote {out}/map.json and map.png in {result['seconds']:.1f} s: {_counts(result)}\n")
    return 0


def _counts(result: dict) -> str:
    counts = {o: sum(c["outcome"] == o for c in result["cells"]) for o in result["thresholds"]["outcomes"]}
    return ", ".join(f"{n} {o}" for o, n in counts.items() if n)


def _map_split(args: argparse.Namespace, spec, out) -> int:
    """`ganlab map --address`: the map's GANs in batches of --batch, as Ray tasks on that cluster."""
    from ganlab.cli.common import UsageError, new_dir, progress
    from ganlab.config import ConfigError
    from ganlab.figures.map import render_map
    from ganlab.files import atomic_write, write_json
    from ganlab.sweep.cluster import Cluster
    from ganlab.sweep.maps import run_map_split

    try:
        cluster = Cluster(args.address)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    gans = len(spec.cells())
    sys.stderr.write(f"{gans:,} GANs in batches of {min(args.batch, gans):,} on {cluster.where}\n")
    try:
        with new_dir(out) as partial:
            result = run_map_split(
                spec,
                cluster,
                args.batch,
                lambda done, total: progress(f"{done}/{total} batches", done / total),
            )
            write_json(partial / "map.json", result)
            atomic_write(partial / "map.png", render_map(result))
    except RuntimeError as exc:
        raise UsageError(str(exc)) from None
    finally:
        cluster.close()
    sys.stderr.write(
        f"\nwrote {out}/map.json and map.png in {result['seconds']:.1f} s "
        f"({result['batches']} batches, {result['gan_seconds']:.1f} s of training): {_counts(result)}\n"
    )
    return 0
