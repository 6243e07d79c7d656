"""Where a run's tensors live: the device a config names, its name for captions, and what
training on CUDA needs around it (one GPU user at a time, TF32 products while training)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import torch

__all__ = ["resolve_device", "device_label", "cuda_lock", "tf32", "TF32_ENV"]

TF32_ENV = "GANLAB_TF32"  # "0": full float32 products on CUDA too

# One trainer at a time works on the GPU (dashboard sessions share a process): while one
# records a graph, the caching allocator is in capture mode, and another thread's allocation
# would break the recording or itself.
_CUDA_LOCK = threading.RLock()


def resolve_device(name: str) -> torch.device:
    """ "auto" -> CUDA when available, else CPU; "cuda" without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but no CUDA GPU is available; use auto or cpu")
    return torch.device(name)


def device_label(device: torch.device) -> str:
    """'CPU' or the CUDA device's name."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"


def cuda_lock(device: torch.device) -> contextlib.AbstractContextManager:
    """The process-wide lock for GPU work, on CUDA; no lock on the CPU."""
    return _CUDA_LOCK if device.type == "cuda" else contextlib.nullcontext()


@contextlib.contextmanager
def tf32(device: torch.device) -> Iterator[None]:
    """TensorFloat-32 matrix products on CUDA while training (10-bit mantissas in the products,
    float32 accumulation: the pictures do not change), restored afterwards so that metrics
    computed elsewhere keep full float32. GANLAB_TF32=0 keeps full float32 while training too."""
    if device.type != "cuda" or os.environ.get(TF32_ENV) == "0":
        yield
        return
    old = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(old)
