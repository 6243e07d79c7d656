#!/usr/bin/env bash
# The CUDA checks in one go, on a machine with an NVIDIA GPU:
#   OUT=dir TRAIN_S=30 [SKIP_TESTS=1] [SKIP_BENCH=1] [PROFILE=1] [MAP_N=64] [DEVICE=cpu] bash tools/gpu_check.sh
# 1. the CUDA tests (tests/test_cuda.py);
# 2. `ganlab bench --device cuda`, the batched trainer at 256 and 4,096 GANs, and (PROFILE=1)
#    tools/iteration_profile.py (kernels and time per iteration);
# 3. `ganlab map` of MAP_N x MAP_N paper-1d GANs for 2,000 iterations (map.json, map.png);
# 4. `ganlab train --preset mnist-paper` for TRAIN_S seconds (stopped by SIGTERM, which saves
#    the run), while the tests that need no Streamlit run on CUDA beside it; then Table 1's
#    Parzen estimate, the judge's digit shares, and the run's weights in fp16 (generator.pt).
# It writes 8 files to $OUT (the device tool brings back at most 8). DEVICE=cpu makes a dry
# run of it anywhere.
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
t0=$(date +%s)
stamp() { echo "== $1 at $(( $(date +%s) - t0 )) s" | tee -a "$OUT/run.log"; }

nvidia-smi -L
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA')"
if [ -z "${SKIP_TESTS:-}" ]; then
    stamp cuda-tests
    timeout 240 python3 -m pytest -q -p no:cacheprovider -rs tests/test_cuda.py 2>&1 | tee "$OUT/tests.log" | tail -n 40
fi
if [ -z "${SKIP_BENCH:-}" ]; then
    stamp bench
    timeout 120 python3 -m ganlab.cli bench --device "$DEVICE" --seconds "${BENCH_S:-2}" --json > "$OUT/bench_cuda.json"
    for gans in 256 4096; do
        timeout 90 python3 -m ganlab.cli bench --device "$DEVICE" --preset paper-1d --seconds 3 --ensemble "$gans" --json \
            >> "$OUT/bench_cuda.json"
    done
    cat "$OUT/bench_cuda.json"
fi
if [ -n "${PROFILE:-}" ]; then
    stamp profile
    for preset in paper-1d ring8 mnist-mlp mnist-paper; do
        python3 tools/iteration_profile.py --preset "$preset" --device "$DEVICE" --n 100 2>/dev/null | tee -a "$OUT/run.log"
    done
fi
stamp map
rm -rf /tmp/map-gpu
/usr/bin/time -v timeout 150 python3 -m ganlab.cli map --preset paper-1d --x lr_d --y lr_g --n "${MAP_N:-64}" \
    --steps "${MAP_STEPS:-2000}" --device "$DEVICE" --out /tmp/map-gpu 2>&1 | tr '\r' '\n' | tail -n 40 >> "$OUT/run.log"
cp /tmp/map-gpu/map.json /tmp/map-gpu/map.png "$OUT/" 2>/dev/null
tail -n 40 "$OUT/run.log" | grep -E "wrote|Maximum resident|Elapsed|Error|error" 
stamp train
run=/tmp/mnist-paper-gpu
rm -rf "$run"  # a rerun on a warm machine: train refuses to write over a run
if [ -z "${SKIP_TESTS:-}" ]; then  # the tests that need no Streamlit or browser, on CUDA (device=auto), beside the run
    (timeout "$(( TRAIN_S + 60 ))" python3 -m pytest -q -p no:cacheprovider ${TESTS:-tests/test_train.py \
        tests/test_maps.py tests/test_dirac.py tests/test_mnist.py tests/test_toy2d.py tests/test_runzip.py \
        tests/test_metrics.py tests/test_config.py tests/test_data.py tests/test_average.py} \
        >> "$OUT/tests.log" 2>&1) &
    tests_pid=$!
fi
timeout -s TERM "$TRAIN_S" python3 -m ganlab.cli train --preset mnist-paper --device "$DEVICE" \
    --steps 10000000 --log-every "${LOG_EVERY:-5000}" --out "$run" 2>&1 | tr '\r' '\n' | tail -n 20 >> "$OUT/run.log"
tail -n 5 "$OUT/run.log"
cp "$run/metrics.jsonl" "$OUT/"
stamp eval
{
    timeout 90 python3 -m ganlab.cli eval parzen --run "$run" --device "$DEVICE" --json
    timeout 60 python3 -m ganlab.cli eval digits --run "$run" --device "$DEVICE" --json
} > "$OUT/eval.json" 2>> "$OUT/run.log"
cat "$OUT/eval.json"
python3 - "$run" "$OUT/generator.pt" <<'EOF'
import sys, torch
state = torch.load(f"{sys.argv[1]}/checkpoint.pt", map_location="cpu", weights_only=True)
half = lambda sd: {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
keep = {k: state[k] for k in ("config", "g_updates", "d_updates", "ema_updates") if k in state}
keep.update({k: half(state[k]) for k in ("generator", "generator_ema", "discriminator") if k in state})
torch.save(keep, sys.argv[2])
EOF
if [ -n "${tests_pid:-}" ]; then
    stamp wait-tests
    wait "$tests_pid"
    tail -n 25 "$OUT/tests.log"
fi
stamp done
ls -la "$OUT"
