"""Two weight averages of one training run, scored by Table 1's Parzen window: the trainer's
own EMA and a second one of another width kept beside it with the same warm-up. The average
never feeds back into training, so both average the very same G.

    python tools/ema_widths.py --preset mnist-paper --set ema=0.999 --other 0.9999 \
        --steps 20000 --check 5000,10000,15000,20000

Prints one JSON line per checked iteration: the Parzen estimate (nats, ± standard error) of
10,000 samples from each average.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.config import parse_assignment  # noqa: E402
from ganlab.measure.parzen import parzen_mnist  # noqa: E402
from ganlab.presets import get_preset  # noqa: E402
from ganlab.train import Trainer, ema_step, warmed_ema  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="mnist-paper")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--other", type=float, required=True, help="the second average's ema")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--check", required=True, help="iterations to score, comma-separated")
    args = parser.parse_args()
    cfg = get_preset(args.preset).config.replace(device="cpu")
    for assignment in args.set:
        cfg = parse_assignment(cfg, assignment)
    if not cfg.ema or cfg.data_dim != 784:
        parser.error("needs an MNIST preset with the trainer's EMA on")
    trainer = Trainer(cfg)
    other = copy.deepcopy(trainer.G_ema)
    checks = {int(x) for x in args.check.split(",")}
    start = time.perf_counter()
    for i in range(1, args.steps + 1):
        if not trainer.advance(1):
            sys.exit(f"diverged at iteration {i}")
        # the trainer's own update and warm-up, for the update it has just made
        ema_step(other, trainer.G, warmed_ema(args.other, trainer.ema_updates - 1))
        if i in checks:
            line = {"iteration": i, "elapsed_s": round(time.perf_counter() - start)}
            own = trainer.G_ema
            for name, net in ((f"ema {cfg.ema}", own), (f"ema {args.other}", other)):
                trainer.G_ema = net
                result = parzen_mnist(trainer.sample(10_000, 0).float().cpu().numpy())
                line[name] = [round(result.mean, 2), round(result.stderr, 2)]
            trainer.G_ema = own
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
