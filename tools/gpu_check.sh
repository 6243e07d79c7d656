#!/usr/bin/env bash
# The CUDA checks in one go, on a machine with an NVIDIA GPU:
#   OUT=dir TRAIN_S=30 [SKIP_TESTS=1] [SKIP_BENCH=1] [DEVICE=cpu] bash tools/gpu_check.sh
# 1. the CUDA tests (tests/test_cuda.py), then the tests that need no Streamlit, on CUDA;
# 2. `ganlab bench --device cuda`, and tools/iteration_profile.py (kernels and time per iteration);
# 3. `ganlab train --preset mnist-paper` for TRAIN_S seconds (stopped by SIGTERM, which saves
#    the run), then Table 1's Parzen estimate, the judge's digit shares, 10,000 samples (as
#    uint8) for an independent judge, and G's averaged weights. It writes 7 files to $OUT
#    (the device tool brings back at most 8). DEVICE=cpu makes a dry run of it anywhere.
# Without ganlab installed, it runs from the checkout (PYTHONPATH); wheels in .whl/ (plotly,
# orjson) are installed to /tmp/site first where the machine has no package index.
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-gpu-out}
TRAIN_S=${TRAIN_S:-30}
DEVICE=${DEVICE:-cuda}  # cpu: a dry run of the script here
mkdir -p "$OUT"
export PYTHONPATH=$PWD
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH=/tmp/site:$PWD
fi
gl() { python3 -m ganlab.cli "$@"; }
t0=$(date +%s)
stamp() { echo "== $1 at $(( $(date +%s) - t0 )) s"; }

nvidia-smi -L
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
if [ -z "${SKIP_TESTS:-}" ]; then
    stamp tests
    # the CUDA tests, then every test that needs no Streamlit or browser, on CUDA (device=auto)
    python3 -m pytest -q -p no:cacheprovider -rs tests/test_cuda.py 2>&1 | tee "$OUT/tests.log" | tail -n 40
    python3 -m pytest -q -p no:cacheprovider -x ${TESTS:-tests/test_train.py tests/test_cli.py tests/test_mnist.py \
        tests/test_toy2d.py tests/test_runzip.py tests/test_metrics.py tests/test_config.py tests/test_data.py} \
        2>&1 | tee -a "$OUT/tests.log" | tail -n 25
fi
if [ -z "${SKIP_BENCH:-}" ]; then
    stamp bench
    gl bench --device "$DEVICE" --seconds "${BENCH_S:-2}" --json > "$OUT/bench_cuda.json" && cat "$OUT/bench_cuda.json"
fi
stamp profile
for preset in paper-1d ring8 mnist-mlp mnist-paper; do
    python3 tools/iteration_profile.py --preset "$preset" --device "$DEVICE" --n 100 2>/dev/null | tee -a "$OUT/run.log"
done
for preset in paper-1d mnist-mlp; do  # would fused Adam be faster on the GPU too?
    python3 tools/iteration_profile.py --preset "$preset" --device "$DEVICE" --n 100 --fused-adam 2>/dev/null | tee -a "$OUT/run.log"
done
stamp train
run=/tmp/mnist-paper-gpu
rm -rf "$run"  # a rerun on a warm machine: train refuses to write over a run
timeout -s TERM "$TRAIN_S" python3 -m ganlab.cli train --preset mnist-paper --device "$DEVICE" \
    --steps 10000000 --log-every "${LOG_EVERY:-5000}" --out "$run" 2>> "$OUT/run.log"
tail -c 600 "$OUT/run.log"; echo
cp "$run/metrics.jsonl" "$OUT/"
stamp eval
{
    gl eval parzen --run "$run" --device "$DEVICE" --json
    gl eval digits --run "$run" --device "$DEVICE" --json
} > "$OUT/eval.json" 2>> "$OUT/run.log"
cat "$OUT/eval.json"
stamp sample
gl sample --run "$run" --n 10000 --device "$DEVICE" --out /tmp/samples.npy \
    && python3 -c "import numpy as np; s = np.load('/tmp/samples.npy'); np.save('$OUT/samples_u8.npy', np.rint(s * 255).astype(np.uint8))"
python3 - "$run" "$OUT/generator.pt" <<'EOF'
import sys, torch
state = torch.load(f"{sys.argv[1]}/checkpoint.pt", map_location="cpu", weights_only=True)
keep = {k: state[k] for k in ("config", "generator_ema", "g_updates", "d_updates") if k in state}
torch.save(keep, sys.argv[2])
EOF
stamp done
ls -la "$OUT"
