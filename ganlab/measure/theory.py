"""The paper's theory: D*, JSD, V(D, G) and C(G) = -log 4 + 2 JSD, on a 1D grid or, in 2D,
by Monte Carlo at samples (p_data exact, p_g by k nearest neighbours)."""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "d_star",
    "jsd",
    "value_on_grid",
    "pushforward_density",
    "kde_density",
    "trapezoid",
    "knn_density",
    "jsd_monte_carlo",
    "value_monte_carlo",
]

LOG4 = math.log(4.0)
KNN_K = 10  # neighbours for the 2D p_g estimate


def trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.trapezoid(y, x))


def d_star(p_data: np.ndarray, p_g: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Proposition 1: D*(x) = p_data / (p_data + p_g); NaN where both densities vanish."""
    total = p_data + p_g
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > eps, p_data / np.maximum(total, eps), np.nan)


def _kl_term(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p > 0, p * np.log(p / np.where(m > 0, m, 1.0)), 0.0)


def jsd(p: np.ndarray, q: np.ndarray, x: np.ndarray, p_outside: float = 0.0, q_outside: float = 0.0) -> float:
    """JSD(p || q) in nats, by the trapezoid rule on grid x.

    ``p_outside``/``q_outside`` are masses beyond the grid, taken as disjoint from the
    other density there (each adds mass * log(2) / 2, its exact contribution in that case).
    Equal densities give 0; disjoint ones give log 2.
    """
    m = 0.5 * (p + q)
    inside = 0.5 * trapezoid(_kl_term(p, m), x) + 0.5 * trapezoid(_kl_term(q, m), x)
    return max(0.0, inside + 0.5 * math.log(2.0) * (p_outside + q_outside))


def value_on_grid(p_data: np.ndarray, p_g: np.ndarray, d: np.ndarray, x: np.ndarray) -> float:
    """V(D, G) = ∫ p_data log D + ∫ p_g log(1 - D), by the trapezoid rule on grid x."""
    d = np.clip(np.nan_to_num(d, nan=0.5), 1e-12, 1 - 1e-12)  # NaN only where both densities are 0
    terms = np.where(p_data > 0, p_data * np.log(d), 0.0) + np.where(p_g > 0, p_g * np.log1p(-d), 0.0)
    return trapezoid(terms, x)


def c_of_g(jsd_value: float) -> float:
    """Theorem 1: C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g)."""
    return -LOG4 + 2.0 * jsd_value


def _edges(x: np.ndarray) -> np.ndarray:
    mid = 0.5 * (x[1:] + x[:-1])
    return np.concatenate([[x[0] - (mid[0] - x[0])], mid, [x[-1] + (x[-1] - mid[-1])]])


def pushforward_density(g_of_z: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Exact-as-the-z-grid-allows p_g on grid x from G at quantiles of a 1D p_z.

    ``g_of_z`` holds G at N+1 points z_0 < ... < z_N spaced in equal probability under
    p_z, so each interval carries mass 1/N, spread by G over [G(z_i), G(z_i+1)] (G is
    close to linear on each). This is the change of variables p_g = sum p_z / |G'|,
    valid for non-monotone G too. Returns (density at x, mass outside the grid).
    """
    a, b = g_of_z[:-1], g_of_z[1:]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    width = np.maximum(hi - lo, 1e-3 * (x[1] - x[0]))  # a flat piece: a point mass, smeared
    rate = 1.0 / (len(a) * width)
    # The CDF is a sum of ramps; F(e) = sum_b w_b * max(e - b, 0) over breakpoints b.
    points = np.concatenate([lo, lo + width])
    weights = np.concatenate([rate, -rate])
    order = np.argsort(points)
    points, weights = points[order], weights[order]
    cum_w, cum_wb = np.cumsum(weights), np.cumsum(weights * points)
    edges = _edges(x)
    idx = np.searchsorted(points, edges, side="right") - 1
    valid = idx >= 0
    cdf = np.zeros_like(edges)
    cdf[valid] = edges[valid] * cum_w[idx[valid]] - cum_wb[idx[valid]]
    density = np.diff(cdf) / np.diff(edges)
    outside = float(max(0.0, cdf[0]) + max(0.0, 1.0 - cdf[-1]))
    return np.maximum(density, 0.0), outside


def kde_density(samples: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Gaussian KDE (Scott's bandwidth) of 1D samples on a uniform grid x, binned for speed.

    Returns (density at x, fraction of samples outside the grid).
    """
    samples = np.asarray(samples, dtype=np.float64).ravel()
    n = samples.size
    dx = x[1] - x[0]
    h = max(samples.std(ddof=1) * n ** (-1 / 5), dx)  # Scott's rule (scipy's default), >= one grid step
    edges = _edges(x)
    counts, _ = np.histogram(samples, bins=edges)
    half = int(np.ceil(4 * h / dx))
    t = np.arange(-half, half + 1) * dx
    kernel = np.exp(-0.5 * (t / h) ** 2)
    kernel /= kernel.sum() * dx
    density = np.convolve(counts / n, kernel, mode="same")
    return density, float(1.0 - counts.sum() / n)


# -- the plane: p_data exact, p_g from samples -------------------------------------------------
def knn_density(
    points: np.ndarray, queries: np.ndarray, k: int = KNN_K, exclude_self: bool = False
) -> np.ndarray:
    """k-nearest-neighbour density of 2D ``points`` at ``queries``: k / (n π r_k²), with
    Γ-corrected k (exp ψ(k)) so that log-density is unbiased (Kozachenko–Leonenko).

    Adaptive to scale, so it follows modes of std 0.01 that a fixed-bandwidth KDE smears.
    With ``exclude_self`` the queries are the points themselves and each skips itself.
    """
    from scipy.spatial import cKDTree
    from scipy.special import digamma

    n = len(points)
    r, _ = cKDTree(points).query(queries, k=k + int(exclude_self))
    r_k = np.maximum(r[:, -1], 1e-12)
    m = n - int(exclude_self)
    return np.exp(digamma(k)) / (m * math.pi * r_k**2)


def jsd_monte_carlo(
    p_at_real: np.ndarray, q_at_real: np.ndarray, p_at_fake: np.ndarray, q_at_fake: np.ndarray, k: int = KNN_K
) -> float:
    """JSD(p ‖ q) in nats from densities at samples of p (real) and of q (fake), q by knn_density:
    ½ E_p log(2p / (p + q)) + ½ E_q log(2q / (p + q)).

    The noise in a k-NN estimate (Var log q = ψ'(k)) biases this by about -ψ'(k)/8 to second
    order; that is added back. Measured on ring8 with 2,500 real and 4,096 fake samples:
    true 0 / 0.030 / 0.111 / 0.527 nats read -0.003 / 0.028 / 0.109 / 0.530. The result is
    clipped to JSD's range [0, log 2].
    """
    from scipy.special import polygamma

    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.log(2 * p_at_real / (p_at_real + q_at_real))
        b = np.log(2 * q_at_fake / (p_at_fake + q_at_fake))
    a, b = np.nan_to_num(a, nan=0.0), np.nan_to_num(b, nan=0.0)
    estimate = 0.5 * a.mean() + 0.5 * b.mean() + float(polygamma(1, k)) / 8
    return float(min(max(estimate, 0.0), math.log(2.0)))


def value_monte_carlo(d_real: np.ndarray, d_fake: np.ndarray) -> float:
    """V(D, G) = E_p_data log D(x) + E_p_g log(1 - D(x)), averaged over samples."""
    d_real = np.clip(d_real, 1e-12, 1.0)
    d_fake = np.clip(d_fake, 0.0, 1 - 1e-12)
    return float(np.log(d_real).mean() + np.log1p(-d_fake).mean())
