import numpy as np
import pytest
import torch
from scipy import stats

from ganlab.data.toy import DISTRIBUTIONS_1D


@pytest.mark.parametrize("name", list(DISTRIBUTIONS_1D))
def test_pdf_integrates_to_one(name):
    dist = DISTRIBUTIONS_1D[name]
    lo, hi = dist.support()
    x = np.linspace(lo - 1, hi + 1, 200_001)
    assert np.trapezoid(dist.pdf(x), x) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS_1D))
def test_samples_follow_the_pdf(name):
    """Kolmogorov-Smirnov against the CDF integrated from the exact pdf."""
    dist = DISTRIBUTIONS_1D[name]
    samples = dist.sample(20_000, torch.Generator().manual_seed(0), torch.device("cpu")).squeeze(1).numpy()
    lo, hi = dist.support()
    x = np.linspace(lo - 1, hi + 1, 100_001)
    cdf = np.cumsum(dist.pdf(x)) * (x[1] - x[0])
    result = stats.kstest(samples, lambda s: np.interp(s, x, cdf))
    assert result.pvalue > 1e-3, result


def test_sampling_is_seeded():
    dist = DISTRIBUTIONS_1D["mixture"]
    a = dist.sample(100, torch.Generator().manual_seed(3), torch.device("cpu"))
    b = dist.sample(100, torch.Generator().manual_seed(3), torch.device("cpu"))
    assert torch.equal(a, b) and a.shape == (100, 1)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS_1D))
def test_gaussian_affine_gives_the_samples_numbers(name):
    """The batched trainer draws eps in place and scales it once: the same numbers as sample."""
    dist = DISTRIBUTIONS_1D[name]
    affine = dist.gaussian_affine()
    assert (affine is not None) == (dist.kind == "gaussian")
    if affine is not None:
        eps = torch.empty(64, 1).normal_(generator=torch.Generator().manual_seed(4))
        drawn = dist.sample(64, torch.Generator().manual_seed(4), torch.device("cpu"))
        assert torch.equal(eps.mul_(affine[1]).add_(affine[0]), drawn)
