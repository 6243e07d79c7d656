"""The dashboard's pages, one module per kind of run (1D, 2D, MNIST), each a list of tabs whose
first is the live view. A new kind of run adds its module here and its entry in VIEWS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.live import LiveTab, Tab
from dashboard.views import mnist, toy1d, toy2d
from ganlab.config import Config
from ganlab.train import Trainer

__all__ = ["KindView", "VIEWS"]


@dataclass(frozen=True)
class KindView:
    key: str  # the tabs' widget key (each kind keeps its open tab)
    tabs: Callable[[Config, Trainer, LiveTab], list[Tab]]


VIEWS = {
    "1d": KindView("tab_1d", toy1d.tabs),
    "2d": KindView("tab_2d", toy2d.tabs),
    "mnist": KindView("tab_mnist", mnist.tabs),
}
