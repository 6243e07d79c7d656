"""Fused CPU passes for the batched trainer: each GAN's D and G gradients computed in C, a
block of minibatch rows at a time with every activation in the cache (ganlab/train/kernels.c).

The C is compiled on first use for the networks' sizes (the sizes are constants there, so
the compiler unrolls and vectorises each layer), with the machine's C compiler (``cc``,
or ``$CC``), and kept in ``~/.cache/ganlab/kernels`` for later runs. Where there is no
compiler, the device is not the CPU, or ``GANLAB_NATIVE=0``, the ensemble uses its PyTorch
passes (ganlab.train.batched) instead: the same arithmetic, at about half the speed for
paper-1d and three quarters for ring8 (docs/dynamics.md). ``describe()`` says which, and why.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["Native", "load", "describe", "ENV"]

ENV = "GANLAB_NATIVE"  # "0": never use the fused passes
SOURCE = Path(__file__).with_name("kernels.c")
ONE_THREAD = "-1t.so"  # the name's end of a library built without OpenMP
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-shared", "-fPIC")
_status: dict[str, str] = {"state": "not loaded yet"}


def describe() -> str:
    """The fused passes' state, in a few words: "on, compiled in 0.9 s", "off: no C compiler" ..."""
    return _status["state"]


@dataclass(frozen=True)
class Native:
    """The compiled steps for one pair of architectures (G's and D's layer sizes and units)."""

    lib: ctypes.CDLL
    g_size: int
    d_size: int
    g_in: int  # z's dimension
    d_in: int  # the data's

    def d_grad(
        self, g_flat: torch.Tensor, d_flat: torch.Tensor, real: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's gradient (n, d_size) without R1, and its logits on real then fake data (n, 2B)."""
        real, real_stride = _rows(real, (z.shape[0], z.shape[1], self.d_in))
        return self._grad(0, g_flat, d_flat, real, real_stride, z, False, self.d_size, 2 * z.shape[1])

    def g_grad(
        self, g_flat: torch.Tensor, d_flat: torch.Tensor, z: torch.Tensor, minimax: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """G's gradient (n, g_size) against each GAN's own D, and D's logits on its fakes (n, B)."""
        return self._grad(1, g_flat, d_flat, None, 0, z, minimax, self.g_size, z.shape[1])

    def _grad(
        self,
        player: int,
        g_flat: torch.Tensor,
        d_flat: torch.Tensor,
        real: torch.Tensor | None,
        real_stride: int,
        z: torch.Tensor,
        minimax: bool,
        size: int,
        per: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """kernels.c's grad for one player: its gradient (n, size) and D's logits (n, per)."""
        n, batch = z.shape[0], z.shape[1]
        z, z_stride = _rows(z, (n, batch, self.g_in))
        # held here while C reads them: a copy made by _weights lives as long as its name
        g_weights, d_weights = _weights(g_flat, n, self.g_size), _weights(d_flat, n, self.d_size)
        grad = torch.empty(n, size, dtype=torch.float32)
        logits = torch.empty(n, per, dtype=torch.float32)
        failed = self.lib.grad(
            player, n, batch, torch.get_num_threads(), int(minimax), _ptr(g_weights), _ptr(d_weights),
            _ptr(real) if real is not None else None, real_stride, _ptr(z), z_stride,
            _ptr(grad), _ptr(logits),
        )  # fmt: skip
        if failed:
            raise MemoryError("the fused passes ran out of memory")
        return grad, logits


def _ptr(t: torch.Tensor) -> ctypes.c_void_p:
    return ctypes.c_void_p(t.data_ptr())


def _weights(flat: torch.Tensor, n: int, size: int) -> torch.Tensor:
    """The (n, size) float32 CPU weights, checked: C reads them without bounds."""
    flat = flat.detach()
    if flat.dtype != torch.float32 or flat.device.type != "cpu" or tuple(flat.shape) != (n, size):
        raise ValueError(f"the fused passes take ({n}, {size}) float32 CPU weights, not {tuple(flat.shape)}")
    return flat.contiguous()


def _rows(x: torch.Tensor, shape: tuple[int, int, int]) -> tuple[torch.Tensor, int]:
    """x (n, B, d) with each GAN's (B, d) packed, and how many numbers apart its GANs start (a
    slice of a larger draw is used where it lies, without a copy)."""
    if x.dtype != torch.float32 or x.device.type != "cpu" or tuple(x.shape) != shape:
        raise ValueError(f"the fused passes take {shape} float32 CPU minibatches, not {tuple(x.shape)}")
    if x.stride(2) != 1 or x.stride(1) != shape[2]:
        x = x.contiguous()
    return x, x.stride(0)


def load(
    g_shapes: Sequence[tuple[int, int]],
    g_slopes: Sequence[float | None],
    d_shapes: Sequence[tuple[int, int]],
    d_slopes: Sequence[float | None],
) -> Native | None:
    """The fused passes for these networks (each layer's (in, out), each hidden layer's units:
    a slope, or None for SiLU), compiled if need be; None where they cannot be had."""
    if os.environ.get(ENV, "1") == "0":
        native, state = None, f"off: {ENV}=0"
    elif d_shapes[-1][1] != 1:
        native, state = None, "off: D has more than one output"
    elif d_shapes[0][0] != g_shapes[-1][1]:
        native, state = None, "off: D's input is not G's output"
    else:
        native, state = _load(tuple(g_shapes), tuple(g_slopes), tuple(d_shapes), tuple(d_slopes))
    _status["state"] = state
    return native


@functools.cache
def _load(g_shapes, g_slopes, d_shapes, d_slopes) -> tuple[Native | None, str]:
    """The passes, or None, and their state in words (both kept for the process)."""
    source = SOURCE.read_text().replace(
        "/* @NETWORKS@: native.py writes G's and D's passes here */",
        _network("G", g_shapes, g_slopes) + "\n" + _network("D", d_shapes, d_slopes),
    )
    try:
        path, seconds = _compiled(source)
        lib = ctypes.CDLL(str(path))
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        return None, f"off: {e}"
    lib.grad.restype = ctypes.c_int
    lib.grad.argtypes = [ctypes.c_int] * 5 + [ctypes.c_void_p] * 3 + [ctypes.c_long, ctypes.c_void_p]
    lib.grad.argtypes += [ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    state = "on, " + ("from the cache" if seconds is None else f"compiled in {seconds:.1f} s")
    if path.name.endswith(ONE_THREAD):
        state += " (one thread: the compiler has no OpenMP)"
    return Native(lib, _size(g_shapes), _size(d_shapes), g_shapes[0][0], d_shapes[0][0]), state


def _size(shapes: Sequence[tuple[int, int]]) -> int:
    return sum(i * o + o for i, o in shapes)


def _network(name: str, shapes: Sequence[tuple[int, int]], slopes: Sequence[float | None]) -> str:
    """C for one network's passes over a block of rows, its sizes written in as constants:
    {name}_fwd (saving what the backward pass needs), {name}_bwd, and {name}_prep (the
    transposes of the weight matrices that the input gradients use)."""
    units = [-1.0 if s is None else float(s) for s in slopes]  # < 0: SiLU
    at, offsets = 0, []
    for i, o in shapes:
        offsets.append((at, at + i * o))
        at += i * o + o
    widest = max(max(s) for s in shapes)
    hidden = range(1, len(shapes))  # the hidden layers' indices, 1-based: layer j's units
    fields = [f"float a{j}[BLOCK * {w}]; float h{j}[BLOCK * {w}];" for j, (_, w) in zip(hidden, shapes)]
    # the transposes igrad reads: layers of more than one output whose inputs come in 16s
    # (below the first layer, or D's first when that one is wide: G's input gradient is never taken)
    tiled = [j for j, (i, o) in enumerate(shapes, 1) if o > 1 and i % 16 == 0 and (j > 1 or name == "D")]
    fields += [f"float t{j}[{shapes[j - 1][0] * shapes[j - 1][1]}];" for j in tiled]
    fields += [f"float g0[BLOCK * {widest}]; float g1[BLOCK * {widest}];"]
    c = [
        f"#define {name}_SIZE {at}",
        f"#define {name}_IN {shapes[0][0]}",
        f"typedef struct {{ {' '.join(fields)} }} {name}_ws;",
        f"AI void {name}_prep(const float *restrict P, {name}_ws *w) {{",
    ]
    c += [
        f"  transpose(P + {offsets[j - 1][0]}, w->t{j}, {shapes[j - 1][0]}, {shapes[j - 1][1]});"
        for j in tiled
    ]
    c += [
        "}",
        f"AI void {name}_fwd(const int rows, const float *restrict P, {name}_ws *w, const float *restrict x,"
        " float *restrict y) {",
    ]
    src = "x"
    for j, ((i, o), (wo, bo)) in enumerate(zip(shapes, offsets), 1):
        if j < len(shapes):
            c.append(f"  fwd(rows, {src}, P + {wo}, P + {bo}, w->a{j}, {i}, {o});")
            c.append(f"  unit_fwd(rows * {o}, w->a{j}, w->h{j}, {units[j - 1]!r}f);")
            src = f"w->h{j}"
        else:
            c.append(f"  fwd(rows, {src}, P + {wo}, P + {bo}, y, {i}, {o});")
    c += [
        "}",
        f"AI void {name}_bwd(const int rows, const float *restrict P, {name}_ws *w, const float *restrict x,",
        "                    const float *restrict g, float *restrict dP, float *restrict dx) {",
        "  const float *cur = g;",
    ]
    for j in range(len(shapes), 0, -1):
        (i, o), (wo, bo) = shapes[j - 1], offsets[j - 1]
        inp = "x" if j == 1 else f"w->h{j - 1}"
        transposed = f"w->t{j}" if j in tiled else "0"
        c.append(f"  if (dP) wgrad(rows, {inp}, cur, dP + {wo}, dP + {bo}, {i}, {o});")
        if j > 1:
            buf = f"w->g{j % 2}"
            state = f"w->a{j - 1}" if units[j - 2] < 0 else f"w->h{j - 1}"
            c.append(f"  igrad(rows, cur, P + {wo}, {transposed}, {buf}, {i}, {o});")
            c.append(f"  unit_bwd(rows * {i}, {buf}, {state}, {units[j - 2]!r}f);")
            c.append(f"  cur = {buf};")
        else:
            c.append(f"  if (dx) igrad(rows, cur, P + {wo}, {transposed}, dx, {i}, {o});")
    c.append("}")
    return "\n".join(c)


def _compiled(source: str) -> tuple[Path, float | None]:
    """The shared library of ``source``, from the cache or compiled now (and the seconds it took).

    Its name says whether it was built with OpenMP ("-omp.so") or without (ONE_THREAD)."""
    named = shlex.split(os.environ.get("CC", ""))  # may carry arguments: "ccache gcc"
    found = (
        shutil.which(named[0])
        if named
        else shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    )
    if not found:
        raise RuntimeError(f"no C compiler {named[0]!r}" if named else "no C compiler (cc)")
    cc = [found, *named[1:]]
    key = "\n".join([source, *cc, *FLAGS, platform.machine(), _cpu()])
    key = hashlib.sha256(key.encode()).hexdigest()[:20]
    for folder in _cache_folders():
        try:
            for name in (f"{key}-omp.so", f"{key}{ONE_THREAD}"):
                if (folder / name).exists() and _private(folder):
                    return folder / name, None
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(folder):
                continue  # another user could put a library there for us to load
            tmp = Path(tempfile.mkdtemp(dir=folder))
        except OSError:
            continue  # not readable or writable: the next folder
        try:
            start = time.perf_counter()
            threaded = _compile(cc, source, tmp)
            path = folder / (f"{key}-omp.so" if threaded else f"{key}{ONE_THREAD}")
            os.replace(tmp / "k.so", path)  # atomic: another process may be compiling the same
            return path, time.perf_counter() - start
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    raise RuntimeError("no writable folder to compile in")


def _compile(cc: list[str], source: str, tmp: Path) -> bool:
    """Compile into tmp/k.so with OpenMP (True), or without it where the compiler has none."""
    (tmp / "k.c").write_text(source)
    errors: list[str] = []
    for extra in (["-fopenmp"], []):
        run = subprocess.run(
            [*cc, *FLAGS, *extra, str(tmp / "k.c"), "-o", str(tmp / "k.so")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if run.returncode == 0:
            return bool(extra)
        errors = run.stderr.strip().splitlines()[-1:] or [f"{cc[0]} failed"]
    raise RuntimeError(f"the C compiler failed: {errors[0]}")


def _private(folder: Path) -> bool:
    """Whether only this user can write to ``folder`` (where there are users to ask)."""
    if not hasattr(os, "getuid"):
        return True
    st = folder.stat()
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def _cache_folders() -> list[Path]:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    user = getattr(os, "getuid", lambda: 0)()
    return [Path(base) / "ganlab" / "kernels", Path(tempfile.gettempdir()) / f"ganlab-kernels-{user}"]


@functools.cache
def _cpu() -> str:
    """What the machine's CPU is (-march=native code is kept per CPU)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
        lines = [line for line in info.splitlines() if line.startswith(("model name", "flags", "Features"))]
        return "\n".join(sorted(set(lines)))
    except OSError:
        return platform.processor()
