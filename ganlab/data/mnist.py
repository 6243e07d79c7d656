"""MNIST (LeCun, Cortes, Burges; CC BY-SA 3.0), read from IDX files, offline.

The full set ships in ``assets/mnist`` (IDX, gzip, 11 MB). Another directory can be named
with ``GANLAB_MNIST_DIR`` or the CLI's ``--mnist-dir``; its files may be gzip or raw IDX.
Gzip files with the standard names are checked against the SHA-256 sums of the shipped copy.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import os
from pathlib import Path

import numpy as np
import torch

__all__ = ["MnistError", "MnistData", "load_mnist", "mnist_dir", "read_idx", "SHA256", "TRAIN_END"]

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "mnist"
ENV_VAR = "GANLAB_MNIST_DIR"
SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}
STEMS = {"train": "train", "test": "t10k"}
TRAIN_END = 50_000  # the paper's split: train images 0-50000 train G and D; 50000-60000 validate
_DTYPES = {0x08: np.uint8}
MAX_IDX_BYTES = 200_000_000  # an IDX header may claim any size; refuse absurd ones before reading


class MnistError(ValueError):
    """MNIST files missing or unusable; the message says which file and why, in one line."""


def mnist_dir(directory: str | os.PathLike | None = None) -> Path:
    """The directory to read: the one given, else $GANLAB_MNIST_DIR, else the shipped copy."""
    chosen = directory or os.environ.get(ENV_VAR) or SHIPPED
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise MnistError(f"MNIST directory {str(path)!r} does not exist (set --mnist-dir or ${ENV_VAR})")
    return path


def read_idx(path: Path, verify: bool = True) -> np.ndarray:
    """The array in one IDX file (gzip or raw, told apart by the gzip magic bytes).

    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "x.idx"
    >>> _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])); read_idx(p).tolist()
    [7, 8, 9]
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MnistError(f"cannot read {path}: {exc.strerror or exc}") from None
    if verify and path.name in SHA256 and hashlib.sha256(raw).hexdigest() != SHA256[path.name]:
        raise MnistError(f"{path} is corrupt: its SHA-256 does not match the published MNIST file")
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise MnistError(f"{path} is not a valid gzip file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES or not 1 <= raw[3] <= 3:
        raise MnistError(f"{path} is not an IDX file of unsigned bytes (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MnistError(f"{path} is truncated (its header is incomplete)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = math.prod(shape)
    if size > MAX_IDX_BYTES:
        raise MnistError(f"{path} claims {size:,} values; at most {MAX_IDX_BYTES:,} are accepted")
    if len(raw) != header + size:
        raise MnistError(f"{path} is truncated or padded: {len(raw) - header:,} data bytes for shape {shape}")
    return np.frombuffer(raw, dtype=_DTYPES[raw[2]], offset=header).reshape(shape)


def _find(directory: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise MnistError(f"MNIST file {stem}.gz (or {stem}) is missing from {directory}")


@functools.lru_cache(maxsize=4)
def load_mnist(split: str = "train", directory: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 28, 28) uint8 and labels (n,) uint8 of the "train" or "test" split."""
    if split not in STEMS:
        raise MnistError(f"split must be train or test, got {split!r}")
    where = mnist_dir(directory)
    images = read_idx(_find(where, f"{STEMS[split]}-images-idx3-ubyte"))
    labels = read_idx(_find(where, f"{STEMS[split]}-labels-idx1-ubyte"))
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1:
        raise MnistError(f"MNIST {split} images must be (n, 28, 28) and labels (n,); got {images.shape}")
    if len(images) != len(labels):
        raise MnistError(f"MNIST {split}: {len(images)} images but {len(labels)} labels")
    if labels.max(initial=0) > 9:
        raise MnistError(f"MNIST {split} labels must be digits 0-9")
    return images, labels


class MnistData:
    """p_data for the GAN: MNIST train images 0-50000 as (784,) vectors in [0, 1].

    The images sit on the training device as one uint8 tensor (39 MB), loaded once per
    device and shared read-only; a minibatch is an index draw there, with no host copy.
    """

    data_dim = 784
    modes = ()  # no mixture components: the 2D mode metrics do not apply

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory
        self._on: dict[str, torch.Tensor] = {}

    def images(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """The training images (TRAIN_END, 784), uint8, on ``device``."""
        key = str(device)
        if key not in self._on:
            images, _ = load_mnist("train", self.directory)
            self._on[key] = torch.from_numpy(images[:TRAIN_END].reshape(-1, 784).copy()).to(device)
        return self._on[key]

    def sample(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        """n training images drawn uniformly with replacement, (n, 784) float in [0, 1]."""
        data = self.images(device)
        index = torch.randint(len(data), (n,), generator=generator, device=data.device)
        return data[index].float().div_(255.0)


@functools.lru_cache(maxsize=4)
def mnist_data(directory: str | None = None) -> MnistData:
    """The shared MnistData for a directory (None: $GANLAB_MNIST_DIR or the shipped copy)."""
    return MnistData(directory)
