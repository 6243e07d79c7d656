import math

import numpy as np
import pytest
from scipy import integrate, stats

from ganlab.measure.theory import c_of_g, d_star, jsd, kde_density, pushforward_density, value_on_grid

X = np.linspace(-12, 12, 40_001)


def test_jsd_equal_is_zero_and_disjoint_is_log2():
    p = stats.norm(0, 1).pdf(X)
    assert jsd(p, p, X) == pytest.approx(0.0, abs=1e-12)
    q = stats.uniform(-5, 1).pdf(X)
    r = stats.uniform(3, 1).pdf(X)
    assert jsd(q, r, X) == pytest.approx(math.log(2), abs=1e-3)
    # Mass beyond the grid counts as disjoint: all of q outside -> log 2.
    assert jsd(p, np.zeros_like(p), X, q_outside=1.0) == pytest.approx(math.log(2), abs=1e-6)


def test_jsd_matches_scipy_quadrature():
    p, q = stats.norm(0, 1), stats.norm(1, 1.5)

    def integrand(x):
        a, b = p.pdf(x), q.pdf(x)
        m = (a + b) / 2
        return 0.5 * a * math.log(a / m) + 0.5 * b * math.log(b / m)

    reference, _ = integrate.quad(integrand, -30, 30, limit=200)
    assert jsd(p.pdf(X), q.pdf(X), X) == pytest.approx(reference, rel=1e-4)


def test_d_star_and_theorem_1():
    p_data, p_g = stats.norm(0, 1).pdf(X), stats.norm(1, 1).pdf(X)
    ds = d_star(p_data, p_g)
    assert ds[np.argmin(abs(X - 0.5))] == pytest.approx(0.5, abs=1e-3)  # equal densities at the midpoint
    assert np.isnan(d_star(np.zeros(3), np.zeros(3))).all()
    # At D = D*, V(D, G) equals C(G) = -log 4 + 2 JSD; any other D gives less.
    assert value_on_grid(p_data, p_g, ds, X) == pytest.approx(c_of_g(jsd(p_data, p_g, X)), abs=1e-6)
    assert value_on_grid(p_data, p_g, np.full_like(X, 0.5), X) < c_of_g(jsd(p_data, p_g, X))
    assert c_of_g(0.0) == pytest.approx(-math.log(4))


def test_pushforward_density_is_the_change_of_variables():
    """G(z) = 2 + 0.5 z on uniform z in [-1, 1] gives the uniform density 1 on [1.5, 2.5]."""
    z = np.linspace(-1, 1, 2001)
    x = np.linspace(0, 4, 801)
    p_g, outside = pushforward_density(2 + 0.5 * z, x)
    inside = (x > 1.51) & (x < 2.49)
    assert np.allclose(p_g[inside], 1.0, atol=1e-6)
    assert np.allclose(p_g[(x < 1.49) | (x > 2.51)], 0.0)
    assert outside == pytest.approx(0.0, abs=1e-9)
    # Normal quantiles through G(z) = 1 + 2 z: N(1, 2^2), non-monotone maps too (z -> -z).
    zq = stats.norm.ppf(np.linspace(1e-5, 1 - 1e-5, 8001))
    x = np.linspace(-9, 11, 1001)
    for g in (1 + 2 * zq, 1 - 2 * zq):
        p_g, _ = pushforward_density(g, x)
        assert np.abs(p_g - stats.norm(1, 2).pdf(x)).max() < 2e-3


def test_kde_matches_scipy_gaussian_kde():
    samples = np.random.default_rng(0).normal(1, 0.5, 4000)
    x = np.linspace(-2, 4, 1201)
    mine, outside = kde_density(samples, x)
    reference = stats.gaussian_kde(samples)(x)  # Scott's rule
    assert np.abs(mine - reference).max() < 0.01
    assert outside == 0.0
