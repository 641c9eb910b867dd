"""Per-series least-squares fitting of the ETS smoothing parameters, vectorised across series.

Every additive ETS model here (SES, Holt, damped Holt) has one-step errors that obey the same
second-order linear recurrence (its ARIMA form). With ``x`` the series passed through
``(1 - B)(1 - phi B)`` and theta1 = 1 + phi - alpha - phi * alpha * beta, theta2 = -phi * (1 - alpha):

    e_t = x_t + theta1 * e_{t-1} + theta2 * e_{t-2}

exactly, for the initial state of `initial_state`, once the first two inputs absorb that state
(`recurrence_input`). SES is phi = 0. The derivative D_t = de_t/dtheta1 obeys the same recurrence driven
by e_{t-1}, and de_t/dtheta2 = D_{t-1}, so one extra recursion gives the gradient and the Gauss-Newton
Hessian of the squared error. The search is a small shared grid, then Levenberg-Marquardt steps per
series, all series and models advancing together, one time step per handful of numpy calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating[Any]]  # float64, or float32 inside the search

ALPHA_BOUNDS = (1e-3, 0.999)
BETA_BOUNDS = (0.0, 0.999)


def time_major(y: Array, out: Array) -> Array:
    """Copy series-major ``y`` (C, T) into ``out[:, :C]`` (T, >= C), time-major; return that view.

    Column blocks of a few hundred series keep the transpose within cache.
    """
    width = y.shape[0]
    for lo in range(0, width, 256):
        out[:, lo : min(lo + 256, width)] = y[lo : lo + 256].T
    return out[:, :width]


def recurrence_input(y: Array, phi: Array, start: Array, slope: Array, out: Array) -> Array:
    """Fill ``out`` (T, G, C) with x / scale for time-major ``y`` (T, C) and each damping ``phi`` (G,); return
    the scale (C,). The errors of the model started at level ``start - phi * trend`` and trend ``slope``
    (0 when phi is 0) are the recurrence above from zero, times the scale: x_0 and x_1 carry the initial
    state, later x_t = y_t - (1 + phi) y_{t-1} + phi y_{t-2}.

    The scale (root mean square of the first differences, 1 for a constant series) changes no minimiser
    and keeps float32 sums of squares far from overflow.
    """
    length = y.shape[0]
    diff = np.diff(y, axis=0)
    scale = np.sqrt(np.einsum("tc,tc->c", diff, diff) / max(length - 1, 1))
    scale = np.where(scale > 0, scale, 1.0)
    diff /= scale
    first = (y[0] - start) / scale
    steps = diff.astype(out.dtype)
    scratch = np.empty_like(steps[1:])
    for g, p in enumerate(phi.tolist()):
        trend = slope / scale if p > 0 else 0.0
        out[0, g] = first
        # y_1 - start - phi^2 trend - (1 + phi)(y_0 - start), with y_1 - start = diff_0 + first
        out[1, g] = diff[0] + first - p * p * trend - (1.0 + p) * first
        np.multiply(steps[:-1], out.dtype.type(p), out=scratch)
        np.subtract(steps[1:], scratch, out=out[2:, g])
    return scale


def thetas(alpha: Array, beta: Array, phi: Array) -> tuple[Array, Array]:
    """Return the recurrence coefficients (theta1, theta2) of the given smoothing parameters."""
    return 1.0 + phi - alpha - phi * alpha * beta, -phi * (1.0 - alpha)


def sse(x: Array, theta1: Array, theta2: Array) -> Array:
    """Return the sum of squared one-step errors for coefficients shaped (G, K, C) on x (T, G, C)."""
    e, e1, e2, scratch, total = (np.zeros(theta1.shape, x.dtype) for _ in range(5))
    for t in range(x.shape[0]):
        np.multiply(theta1, e1, out=e)
        np.multiply(theta2, e2, out=scratch)
        e += scratch
        e += x[t][:, None, :]
        np.multiply(e, e, out=scratch)
        total += scratch
        e, e1, e2 = e2, e, e1
    return total


def sse_gradient(x: Array, theta1: Array, theta2: Array) -> tuple[Array, Array, Array]:
    """Return (SSE, J'e (2, ...), J'J (3, ...): entries 11, 12, 22) in (theta1, theta2), J = de/dtheta.

    The gradient of the SSE is 2 J'e and its Gauss-Newton Hessian 2 J'J.
    """
    e, e1, e2, d, d1, d2, scratch = (np.zeros(theta1.shape, x.dtype) for _ in range(7))
    total, je1, je2, jj11, jj12 = (np.zeros(theta1.shape, x.dtype) for _ in range(5))
    for t in range(x.shape[0]):
        np.multiply(theta1, d1, out=d)
        np.multiply(theta2, d2, out=scratch)
        d += scratch
        d += e1
        np.multiply(theta1, e1, out=e)
        np.multiply(theta2, e2, out=scratch)
        e += scratch
        e += x[t][:, None, :]
        np.multiply(e, e, out=scratch)
        total += scratch
        np.multiply(e, d, out=scratch)
        je1 += scratch
        np.multiply(e, d1, out=scratch)
        je2 += scratch
        np.multiply(d, d, out=scratch)
        jj11 += scratch
        np.multiply(d, d1, out=scratch)
        jj12 += scratch
        e, e1, e2 = e2, e, e1
        d, d1, d2 = d2, d, d1
    # sum_t D_{t-1}^2 is sum_t D_t^2 without the last term (D_{-1} = 0)
    jj22 = jj11 - d1 * d1
    return total, np.stack([je1, je2]), np.stack([jj11, jj12, jj22])


def initial_shift(x: Array, theta1: Array, theta2: Array, trend: NDArray[np.bool_]) -> tuple[Array, Array]:
    """Return the (c0, c1), shaped like ``theta1`` (G, 1, C), that added to (x_0, x_1) minimise the SSE.

    The initial state enters the errors only through x_0 and x_1, and linearly: their unit impulses
    give errors h_t and h_{t-1}, with h the impulse response of the recurrence. So the best initial
    state for fixed smoothing parameters is a two-column least-squares fit (one column, c1 = 0, where
    there is no trend: there x_1 does not depend on the initial level).
    """
    e, e1, e2, h, h1, h2, scratch = (np.zeros(theta1.shape, x.dtype) for _ in range(7))
    eh, eh1, hh, hh1 = (np.zeros(theta1.shape, x.dtype) for _ in range(4))
    for t in range(x.shape[0]):
        np.multiply(theta1, e1, out=e)
        np.multiply(theta2, e2, out=scratch)
        e += scratch
        e += x[t][:, None, :]
        np.multiply(theta1, h1, out=h)
        np.multiply(theta2, h2, out=scratch)
        h += scratch
        if t == 0:
            h += 1.0
        np.multiply(e, h, out=scratch)
        eh += scratch
        np.multiply(e, h1, out=scratch)
        eh1 += scratch
        np.multiply(h, h, out=scratch)
        hh += scratch
        np.multiply(h, h1, out=scratch)
        hh1 += scratch
        e, e1, e2 = e2, e, e1
        h, h1, h2 = h2, h, h1
    hh_lag = hh - h1 * h1
    with np.errstate(divide="ignore", invalid="ignore"):
        det = hh * hh_lag - hh1 * hh1
        c0 = np.where(trend, (-eh * hh_lag + eh1 * hh1) / det, -eh / hh)
        c1 = np.where(trend, (-eh1 * hh + eh * hh1) / det, 0.0)
    usable = np.isfinite(c0) & np.isfinite(c1) & (~trend | (det > 1e-6 * hh * hh_lag))
    return np.where(usable, c0, 0.0), np.where(usable, c1, 0.0)


def _step(
    alpha: Array, beta: Array, phi: Array, je: Array, jj: Array, damping: Array, trend: NDArray[np.bool_]
) -> tuple[Array, Array]:
    """Return the Levenberg-Marquardt step (d_alpha, d_beta) from the theta-space J'e and J'J.

    theta is affine in alpha for fixed beta and bilinear overall; the chain rule maps J to (alpha, beta).
    Where beta is not free (SES, or beta at its lower bound with the step pointing below it), the
    step is the one-dimensional one in alpha.
    """
    # dtheta/d(alpha, beta): rows theta1, theta2
    p11, p12, p21 = -(1.0 + phi * beta), -phi * alpha, phi
    ga = p11 * je[0] + p21 * je[1]
    gb = p12 * je[0]
    haa = p11 * p11 * jj[0] + 2.0 * p11 * p21 * jj[1] + p21 * p21 * jj[2]
    hab = p11 * p12 * jj[0] + p12 * p21 * jj[1]
    hbb = p12 * p12 * jj[0]
    haa_d, hbb_d = haa * (1.0 + damping), hbb * (1.0 + damping)
    with np.errstate(divide="ignore", invalid="ignore"):
        det = haa_d * hbb_d - hab * hab
        da2 = (-ga * hbb_d + gb * hab) / det
        db2 = (-gb * haa_d + ga * hab) / det
        da1 = -ga / haa_d
    one_dim = ~trend | ~np.isfinite(db2) | ((beta <= BETA_BOUNDS[0]) & (db2 < 0)) | (det <= 0)
    da = np.where(one_dim, da1, da2)
    db = np.where(one_dim, 0.0, db2)
    return np.nan_to_num(da), np.nan_to_num(db)


def refine(x: Array, alpha: Array, beta: Array, phi: Array, iterations: int) -> tuple[Array, Array, Array]:
    """Run ``iterations`` Levenberg-Marquardt steps from (alpha, beta) (G, 1, C); return (alpha, beta, SSE).

    A step is kept only where it lowers the SSE, so the result is never worse than the start.
    """
    trend = np.broadcast_to(phi > 0, alpha.shape)
    total, je, jj = sse_gradient(x, *thetas(alpha, beta, phi))
    damping = np.full(alpha.shape, 1e-3, alpha.dtype)
    for _ in range(iterations):
        da, db = _step(alpha, beta, phi, je, jj, damping, trend)
        new_alpha = np.clip(alpha + da, *ALPHA_BOUNDS)
        new_beta = np.where(trend, np.clip(beta + db, *BETA_BOUNDS), 0.0)
        new_total, new_je, new_jj = sse_gradient(x, *thetas(new_alpha, new_beta, phi))
        better = new_total < total
        alpha, beta = np.where(better, new_alpha, alpha), np.where(better, new_beta, beta)
        total = np.where(better, new_total, total)
        je, jj = np.where(better, new_je, je), np.where(better, new_jj, jj)
        damping = np.where(better, damping / 3.0, damping * 8.0)
    return alpha, beta, total


# Coarse starting grid, shared by every series: alpha spread over the useful range on a log-like
# scale, a small beta (Levenberg-Marquardt moves it; a zero start would sit on the bound).
GRID_ALPHAS = np.array([0.03, 0.12, 0.35, 0.75])
GRID_BETA = 0.01
ITERATIONS = 5
POLISH = 1  # steps after the initial state is refitted
WIDTH = 8192  # elements per array in the time loop: the working set (~15 arrays) stays in L2 cache


def search(
    y: Array, phi: Array, start: Array, slope: Array, dtype: type[np.floating[Any]] = np.float32
) -> tuple[Array, Array, Array, Array, Array]:
    """Fit (alpha, beta) and the initial state per series and damping ``phi`` (G,) on series-major ``y``
    (C, T); return (alpha, beta, SSE, start, slope), each (G, C): the model starts at level
    ``start - phi * slope`` with trend ``slope`` (0 where phi is 0), so its first forecast is ``start``.

    ``start`` and ``slope`` (C,), a line through the first points, are where the initial state starts:
    smoothing parameters are fitted for it, then the initial state is refitted by least squares for
    those parameters and the parameters polished again. The SSE never rises along the way.
    """
    groups, (width, length) = phi.size, y.shape
    trend = (phi > 0)[:, None]
    alpha, beta, total, starts, slopes = (np.empty((groups, width)) for _ in range(5))
    grid_a: Array = GRID_ALPHAS.astype(dtype)[None, :, None]
    grid_b: Array = np.where(trend, GRID_BETA, 0.0).astype(dtype)[:, :, None]
    p: Array = phi.astype(dtype)[:, None, None]
    step = max(1, WIDTH // groups)
    step = -(-width // max(1, -(-width // step)))  # equal chunks
    # buffers reused by every chunk: fresh ones would cost a page fault per 4 KiB each time
    rows, x_all = np.empty((length, step)), np.empty((length, groups, step), dtype)
    for lo in range(0, width, step):
        cols = slice(lo, lo + step)
        chunk = min(step, width - lo)
        x = x_all[:, :, :chunk]
        scale = recurrence_input(time_major(y[cols], rows), phi, start[cols], slope[cols], x)
        # grid: K candidates per series and model, in sub-chunks so the arrays stay WIDTH wide
        best = np.empty((groups, chunk), dtype=np.intp)
        sub = max(1, step // GRID_ALPHAS.size)
        for s in range(0, chunk, sub):
            shape = (groups, GRID_ALPHAS.size, min(sub, chunk - s))
            a, b = np.broadcast_to(grid_a, shape), np.broadcast_to(grid_b, shape)
            grid_sse = sse(x[:, :, s : s + sub], *thetas(a, b, np.broadcast_to(p, shape)))
            best[:, s : s + sub] = np.argmin(np.where(np.isfinite(grid_sse), grid_sse, np.inf), axis=1)
        a0: Array = GRID_ALPHAS.astype(dtype)[best][:, None, :]
        b0 = np.broadcast_to(grid_b, a0.shape).copy()
        phis = np.broadcast_to(p, a0.shape)
        a1, b1 = refine(x, a0, b0, phis, ITERATIONS)[:2] if ITERATIONS else (a0, b0)
        c0, c1 = initial_shift(x, *thetas(a1, b1, phis), np.broadcast_to(trend[:, :, None], a0.shape))
        x[0] += c0[:, 0]
        x[1] += c1[:, 0]
        a1, b1, t1 = refine(x, a1, b1, phis, POLISH)
        alpha[:, cols], beta[:, cols], total[:, cols] = a1[:, 0], b1[:, 0], t1[:, 0] * scale * scale
        # back from (x_0, x_1) shifts to the initial state: x_0 = y_0 - start, x_1 = ... + phi start - phi^2 slope
        moved = -c0[:, 0] * scale
        starts[:, cols] = start[cols] + moved
        with np.errstate(divide="ignore", invalid="ignore"):
            turned = np.where(trend, (phi[:, None] * moved - c1[:, 0] * scale) / (phi[:, None] ** 2), 0.0)
        slopes[:, cols] = np.where(trend, slope[cols] + turned, 0.0)
    return alpha, beta, total, starts, slopes
