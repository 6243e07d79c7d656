"""Data providers: one ``sample(n)`` interface for every distribution."""

from ganlab.data.toy import DISTRIBUTIONS_1D, Distribution1D, get_distribution

__all__ = ["DISTRIBUTIONS_1D", "Distribution1D", "get_distribution"]
