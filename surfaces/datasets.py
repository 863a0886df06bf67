r"""Surfaces that are averages over a dataset: :math:`f(w) = \frac1n \sum_i \ell(w; x_i, y_i) + \tfrac12\lambda\|w\|^2`.

Each surface is a model with two parameters (the two axes of the contour) fitted to data that are generated
here from a seeded generator: nothing is downloaded. The data size ``n``, the noise, the fraction of outliers,
the seed and the L2 penalty :math:`\lambda` (the lecture's weight decay, :math:`\tfrac12\lambda\|w\|^2` added to
the loss) are surface parameters, so the app, the URL and the tests pick them up from the registry.

The per-example loss is written once; :class:`~surfaces.base.FiniteSum` evaluates it on arrays for values and on
jets for exact gradients and Hessians, over the whole training set (the surface) or over index batches (the
engine's minibatches, see ``optimizers.minibatch``). A held-out test split of ``N_TEST`` examples is drawn from
the same generator; outliers corrupt the training split only, so the test loss measures the clean relationship.

Minima are found, not assumed: the exact closed form for least squares, otherwise every local minimum of a grid
over the view, polished by Newton's method, and kept only where the gradient vanishes and the Hessian is positive
definite (a separable logistic regression without weight decay has none: its infimum is at infinity).
"""

from __future__ import annotations

import numpy as np

from .autodiff import FUNCTIONS, exp, sin
from .base import FiniteSum, Surface, register
from .params import Param

__all__ = ["N_TEST", "find_minima"]

N_TEST = 200  # held-out examples: enough for a smooth test-loss curve at a small cost per step
GRID = 101  # points a side of the grid on which local minima are looked for
softplus, sigmoid = FUNCTIONS["softplus"], FUNCTIONS["sigmoid"]


# ---------------------------------------------------------------------------- parameters shared as data


def _n(default: int) -> Param:
    return Param("n", default, 10, 200, kind="int", label="training examples", symbol="n",
                 help="Size of the training set; the test set has 200 examples.", domain=(2, 5000))


def _noise(default: float, high: float, help: str, low: float = 0.0) -> Param:
    return Param("noise", default, low, high, label="noise", symbol=r"\sigma", help=help, domain=(0.0, 100.0))


def _outliers(help: str) -> Param:
    return Param("outliers", 0.0, 0.0, 0.2, label="outlier fraction", symbol=r"\rho", help=help, domain=(0.0, 1.0))


SEED = Param("seed", 0, 0, 20, kind="int", label="data seed", help="Draw another dataset of the same kind.",
             domain=(0, 2**31 - 1))


def _l2(default: float = 0.0) -> Param:
    return Param("l2", default, 0.0, 1.0, label="weight decay (L2 penalty)", symbol=r"\lambda", step=0.01,
                 help="Adds ½λ‖w‖² to the loss: the minimum moves toward the origin.", domain=(0.0, 100.0))


def _generator(seed: int, tag: int) -> np.random.Generator:
    """One stream per (surface, seed): the same seed gives each surface its own data."""
    return np.random.default_rng([seed, tag])


def _outlier_mask(rng: np.random.Generator, n: int, fraction: float) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[: round(fraction * n)]] = True
    return mask


# ---------------------------------------------------------------------------- minima and views


def find_minima(fs: FiniteSum, bounds, grid: int = GRID, iterations: int = 30) -> np.ndarray:
    """Every local minimum of ``fs`` inside ``bounds`` that a grid of ``grid``² points resolves, lowest first.

    Grid points lower than their eight neighbours are polished by Newton's method (steps no longer than two grid
    cells); a candidate is kept where it converged to a stationary point with a positive-definite Hessian.
    """
    (x0, x1), (y0, y1) = bounds
    u, v = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    points = np.stack(np.meshgrid(u, v), axis=-1)
    values = np.where(np.isfinite(f := fs.value(points)), f, np.inf)
    centre = values[1:-1, 1:-1]
    lower = np.ones(centre.shape, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lower &= centre <= values[1 + di:grid - 1 + di, 1 + dj:grid - 1 + dj]
    candidates = points[1:-1, 1:-1][lower & np.isfinite(centre)]
    candidates = candidates[np.argsort(fs.value(candidates))[:50]]  # a plateau could tie everywhere
    cell = max(u[1] - u[0], v[1] - v[0])
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            step = (np.linalg.pinv(fs.hessian(candidates)) @ fs.gradient(candidates)[..., None])[..., 0]
            length = np.linalg.norm(step, axis=-1, keepdims=True)
            candidates = candidates - step * np.minimum(1.0, 2.0 * cell / np.maximum(length, 1e-300))
    g, H = fs.gradient(candidates), fs.hessian(candidates)
    scale = np.maximum(1.0, np.abs(H).max(axis=(-1, -2), initial=0.0))
    with np.errstate(all="ignore"):
        definite = np.linalg.eigvalsh(H)[:, 0] > 1e-10 * scale if len(H) else np.zeros(0, dtype=bool)
    keep = (np.linalg.norm(g, axis=-1) <= 1e-9 * scale) & definite & _inside(bounds, candidates)
    found = candidates[keep]
    found = found[np.argsort(fs.value(found))]
    distinct = [p for i, p in enumerate(found) if all(np.linalg.norm(p - q) > 1e-6 for q in found[:i])]
    return np.array(distinct).reshape(-1, 2)


def _inside(bounds, points) -> np.ndarray:
    (x0, x1), (y0, y1) = bounds
    return (x0 <= points[:, 0]) & (points[:, 0] <= x1) & (y0 <= points[:, 1]) & (points[:, 1] <= y1)


def _containing(bounds, points, margin: float = 0.5):
    """``bounds`` widened to hold ``points`` (k, 2) with ``margin`` to spare (weight decay or noise move a minimum)."""
    (x0, x1), (y0, y1) = bounds
    if len(points):
        x0, x1 = min(x0, points[:, 0].min() - margin), max(x1, points[:, 0].max() + margin)
        y0, y1 = min(y0, points[:, 1].min() - margin), max(y1, points[:, 1].max() + margin)
    return (float(x0), float(x1)), (float(y0), float(y1))


def _surface(name: str, fs: FiniteSum, *, bounds, minima, start, latex: str, lesson: str, params) -> Surface:
    """The Surface record of a finite sum: f, grad and hess are its exact means over the training set."""
    minima = np.asarray(minima, dtype=float).reshape(-1, 2)
    return Surface(
        name=name,
        f=fs.value,
        grad=fs.gradient,
        hess=fs.hessian,
        bounds=bounds,
        minima=minima,
        optimal_value=float(fs.value(minima).min()) if len(minima) else None,
        saddles=np.empty((0, 2)),
        start=np.asarray(start, dtype=float),
        latex=latex,
        lesson=lesson,
        params=dict(params),
        finite_sum=fs,
    )


def _split(n: int, *arrays):
    """The first ``n`` rows of each array train, the rest test."""
    return [a[:n] for a in arrays], [a[n:] for a in arrays]


# ---------------------------------------------------------------------------- linear regression

LINE = (1.5, -0.5)  # the true slope and intercept


def _squared_error(w, b, x, y):
    r = w * x[..., 0] + b - y
    return 0.5 * r * r


def _line(params, x):
    return params[..., 0] * x[..., 0] + params[..., 1]


@register(
    "Linear regression (data)",
    _n(30),
    _noise(0.5, 2.0, "Standard deviation of the label noise."),
    _outliers("Fraction of training labels moved up by 4."),
    SEED,
    _l2(),
    source="Least squares; the minimum is the closed-form solution of the normal equations.",
)
def linear_regression(n: int, noise: float, outliers: float, seed: int, l2: float) -> Surface:
    r"""Fit :math:`y \approx w x + b` to noisy points by least squares, a quadratic in :math:`(w, b)`.

    :math:`f(w, b) = \frac1{2n}\sum_i (w x_i + b - y_i)^2 + \frac\lambda2 (w^2 + b^2)`, with :math:`x_i` uniform
    on [-1, 2] and :math:`y_i = 1.5 x_i - 0.5 + \sigma\varepsilon_i`. Its minimum solves the normal equations
    :math:`(\overline{x x^\top} + \lambda I)\,\theta = \overline{x y}` with :math:`x = (x_i, 1)`; the inputs have
    a non-zero mean, so slope and intercept are correlated and the valley is tilted.
    """
    rng = _generator(seed, 1)
    x = rng.uniform(-1.0, 2.0, (n + N_TEST, 1))
    y = LINE[0] * x[:, 0] + LINE[1] + noise * rng.standard_normal(n + N_TEST)
    outlier = _outlier_mask(rng, n, outliers)
    (x_train, y_train), (x_test, y_test) = _split(n, x, y)
    y_train = np.where(outlier, y_train + 4.0, y_train)
    fs = FiniteSum(loss=_squared_error, x=x_train, y=y_train, test_x=x_test, test_y=y_test, l2=l2,
                   outlier=outlier, model="line", predict=_line)
    design = np.stack([x_train[:, 0], np.ones(n)], axis=-1)
    minimum = np.linalg.solve(design.T @ design / n + l2 * np.eye(2), design.T @ y_train / n)
    return _surface(
        "linear_regression", fs,
        bounds=_containing(((-2.0, 4.0), (-3.0, 3.0)), minimum[None]),
        minima=minimum,
        start=(-1.5, 2.5),
        latex=r"f(w,b) = \frac{1}{2n}\sum_i (w x_i + b - y_i)^2 + \frac{\lambda}{2}(w^2 + b^2)",
        lesson="Least squares is an exact quadratic: a tilted valley whose minimum is the fitted line.",
        params={"n": n, "noise": noise, "outliers": outliers, "seed": seed, "l2": l2},
    )


# ---------------------------------------------------------------------------- logistic regression

CLASS_MEAN = np.array([1.0, 0.5])  # class +1 around +mean, class -1 around -mean


def _logistic_loss(w1, w2, x, y):
    """log(1 + exp(-y w·x)) with labels y = ±1, written with softplus so it never overflows."""
    return softplus((w1 * x[..., 0] + w2 * x[..., 1]) * -y)  # jet first: ndarray * Jet would make an object array


def _probability(params, x):
    return sigmoid(params[..., 0] * x[..., 0] + params[..., 1] * x[..., 1])


def _classes(rng: np.random.Generator, m: int, noise: float):
    y = np.where(rng.random(m) < 0.5, -1.0, 1.0)
    return y[:, None] * CLASS_MEAN + noise * rng.standard_normal((m, 2)), y


def _logistic_surface(name, x, y, outlier, n, l2, params, lesson):
    (x_train, y_train), (x_test, y_test) = _split(n, x, y)
    fs = FiniteSum(loss=_logistic_loss, x=x_train, y=y_train, test_x=x_test, test_y=y_test, l2=l2,
                   outlier=outlier, model="boundary", predict=_probability)
    bounds = ((-4.0, 6.0), (-5.0, 5.0))
    return _surface(
        name, fs, bounds=bounds, minima=find_minima(fs, bounds), start=(-3.0, 3.0),
        latex=r"f(w) = \frac{1}{n}\sum_i \log\left(1 + e^{-y_i\, w^\top x_i}\right) + \frac{\lambda}{2}\|w\|^2",
        lesson=lesson, params=params,
    )


LOGISTIC_SOURCE = "Logistic regression without a bias: the decision boundary w·x = 0 passes through the origin."


@register(
    "Logistic regression, separable (data)",
    _n(40),
    _noise(0.5, 1.5, "Spread of each class around its mean."),
    _outliers("Fraction of training points pushed far out on their own side (the data stay separable)."),
    SEED,
    _l2(),
    source=LOGISTIC_SOURCE,
)
def logistic_separable(n: int, noise: float, outliers: float, seed: int, l2: float) -> Surface:
    r"""Logistic regression with two weights on two classes that a line through the origin separates.

    :math:`f(w) = \frac1n\sum_i \log(1 + e^{-y_i w^\top x_i}) + \frac\lambda2\|w\|^2` with labels :math:`\pm1`.
    Every point that lies within 0.3 of the true boundary (normal to the class mean) is pushed out to that
    margin on its own side, so the data are separable for every seed: without weight decay the loss keeps
    falling as :math:`\|w\| \to \infty` along the separating directions and there is no minimum; with
    :math:`\lambda > 0` there is one, at a finite distance that grows as :math:`\lambda` shrinks.
    """
    rng = _generator(seed, 2)
    x, y = _classes(rng, n + N_TEST, noise)
    normal = CLASS_MEAN / np.linalg.norm(CLASS_MEAN)
    margin = y * (x @ normal)
    x = x + (y * np.maximum(0.0, 0.3 - margin))[:, None] * normal
    outlier = _outlier_mask(rng, n, outliers)
    x[:n] = x[:n] + (3.0 * outlier * y[:n])[:, None] * normal
    return _logistic_surface(
        "logistic_separable", x, y, outlier, n, l2,
        {"n": n, "noise": noise, "outliers": outliers, "seed": seed, "l2": l2},
        "Separable classes: the loss falls forever along a valley to infinity; weight decay puts a floor under it.",
    )


@register(
    "Logistic regression, overlapping (data)",
    _n(40),
    _noise(1.0, 2.0, "Spread of each class around its mean; below about 0.8 the classes may separate.", low=0.8),
    _outliers("Fraction of training labels flipped."),
    SEED,
    _l2(),
    source=LOGISTIC_SOURCE,
)
def logistic_overlapping(n: int, noise: float, outliers: float, seed: int, l2: float) -> Surface:
    r"""Logistic regression with two weights on two overlapping classes: a convex bowl with one minimum.

    :math:`f(w) = \frac1n\sum_i \log(1 + e^{-y_i w^\top x_i}) + \frac\lambda2\|w\|^2`, classes
    :math:`\pm(1, 0.5)` plus Gaussian noise. Where the classes overlap no line separates them, the loss grows
    in every direction far enough out, and the minimum is finite even without weight decay (a very small or
    unlucky draw can still be separable; then, as for the separable variant, there is none).
    """
    rng = _generator(seed, 3)
    x, y = _classes(rng, n + N_TEST, noise)
    outlier = _outlier_mask(rng, n, outliers)
    y[:n] = np.where(outlier, -y[:n], y[:n])
    return _logistic_surface(
        "logistic_overlapping", x, y, outlier, n, l2,
        {"n": n, "noise": noise, "outliers": outliers, "seed": seed, "l2": l2},
        "Overlapping classes give a bowl: the weights stop where the misclassified points balance the rest.",
    )


# ---------------------------------------------------------------------------- a sinusoid (non-convex)

WAVE = (2.0, 0.5)  # the true frequency and phase


def _wave_error(omega, phi, x, y):
    r = sin(omega * x[..., 0] + phi) - y
    return 0.5 * r * r


def _wave(params, x):
    return np.sin(params[..., 0] * x[..., 0] + params[..., 1])


@register(
    "Sinusoid frequency and phase (data)",
    _n(40),
    _noise(0.2, 0.5, "Standard deviation of the label noise."),
    _outliers("Fraction of training labels moved up by 2."),
    SEED,
    _l2(),
    source="Fitting a frequency is a classic non-convex least-squares problem (aliasing gives many minima).",
)
def sinusoid(n: int, noise: float, outliers: float, seed: int, l2: float) -> Surface:
    r"""Fit :math:`y \approx \sin(\omega x + \varphi)` by least squares: several minima in frequency and phase.

    :math:`f(\omega, \varphi) = \frac1{2n}\sum_i (\sin(\omega x_i + \varphi) - y_i)^2 + \frac\lambda2(\omega^2 +
    \varphi^2)`, with :math:`x_i` uniform on [0, 4] and :math:`y_i = \sin(2 x_i + 0.5) + \sigma\varepsilon_i`.
    A wrong frequency still lines up with part of the data, so the loss has local minima at other frequencies.
    :math:`\sin(-\omega x + \pi - \varphi) = \sin(\omega x + \varphi)`, so every minimum has a twin of the same
    value at :math:`(-\omega, \pi - \varphi)`, as a network's minima come in copies under a symmetry of its
    weights (weight decay on the phase breaks the tie); the phase is periodic, so each repeats every :math:`2\pi`.
    """
    rng = _generator(seed, 4)
    x = rng.uniform(0.0, 4.0, (n + N_TEST, 1))
    y = np.sin(WAVE[0] * x[:, 0] + WAVE[1]) + noise * rng.standard_normal(n + N_TEST)
    outlier = _outlier_mask(rng, n, outliers)
    (x_train, y_train), (x_test, y_test) = _split(n, x, y)
    y_train = np.where(outlier, y_train + 2.0, y_train)
    fs = FiniteSum(loss=_wave_error, x=x_train, y=y_train, test_x=x_test, test_y=y_test, l2=l2,
                   outlier=outlier, model="curve", predict=_wave)
    bounds = ((-5.0, 5.0), (-np.pi, np.pi))
    return _surface(
        "sinusoid", fs, bounds=bounds, minima=find_minima(fs, bounds), start=(3.0, -2.5),
        latex=r"f(\omega,\varphi) = \frac{1}{2n}\sum_i \left(\sin(\omega x_i + \varphi) - y_i\right)^2"
              r" + \frac{\lambda}{2}(\omega^2 + \varphi^2)",
        lesson="A wrong frequency still fits part of the data: local minima trap gradient descent.",
        params={"n": n, "noise": noise, "outliers": outliers, "seed": seed, "l2": l2},
    )


# ---------------------------------------------------------------------------- sharp versus flat

SHARP_CENTRE, FLAT_CENTRE = (-1.0, 0.0), (1.0, 0.0)
TEST_SHIFT = (0.2, 0.1)  # the held-out examples' wells sit this far off the training ones


def _standardized(z: np.ndarray) -> np.ndarray:
    """Mean 0 and variance 1 exactly, so that the weights average out of the full loss."""
    return (z - z.mean()) / z.std()


@register(
    "Sharp and flat minima (data)",
    Param("n", 64, 16, 200, kind="int", label="training examples", symbol="n",
          help="Number of examples; each has its own weight on the sharp well.", domain=(2, 5000)),
    Param("noise", 5.0, 0.0, 8.0, label="disagreement between examples", symbol="K",
          help="Spread of the examples' weights on the sharp well; 0 makes every example the same.",
          domain=(0.0, 100.0)),
    Param("sharpness", 0.2, 0.1, 0.5, log=True, label="width of the sharp minimum", symbol=r"\sigma_s",
          help="Smaller is sharper.", domain=(0.05, 2.0)),
    SEED,
    _l2(0.1),
    source="Made for this app; after Keskar et al. 2017 and Wu, Ma & E, 'How SGD selects the global minima', 2018.",
)
def sharp_flat_data(n: int, noise: float, sharpness: float, seed: int, l2: float) -> Surface:
    r"""A sharp and a flat minimum whose examples agree in the flat basin and disagree in the sharp well.

    Example :math:`i` has the loss :math:`\ell_i(w) = -(1 + K z_i)\, e^{-\|w - c_s\|^2/2\sigma_s^2}
    - e^{-\|w - c_f\|^2/2} + \frac\lambda2\|w\|^2` with :math:`c_s = (-1, 0)`, :math:`c_f = (1, 0)`. The weights
    :math:`z_i` are drawn from the seed and then centred and scaled to mean 0 and variance 1 exactly, so the
    full loss :math:`f = \frac1n\sum_i\ell_i` is the same for every seed: a well of depth 1 and width
    :math:`\sigma_s` and a wide one of depth 1 on a shallow bowl (:math:`\lambda = 0.1`).

    How the data make small batches leave the sharp minimum: every example has the same flat well, so at the
    flat minimum all per-example gradients agree and a minibatch gradient equals the full one (no noise). In the
    sharp well the examples' weights :math:`1 + K z_i` differ (for K > 1 some examples have a bump where the
    others have a well), so a batch of B examples sees a curvature :math:`(1 + K\bar z_B)/\sigma_s^2` whose
    variance is :math:`K^2 (n-B)/(B(n-1))/\sigma_s^4`. Gradient descent with a rate :math:`\eta` near
    :math:`\sigma_s^2` contracts the full-batch error, but the minibatch error is multiplied by
    :math:`1 - \eta(1 + K\bar z_B)/\sigma_s^2`, whose mean square exceeds 1 when
    :math:`\eta^2 K^2 (n-B)/(B(n-1)) > \sigma_s^4(1 - (1 - \eta/\sigma_s^2)^2)`: the iterate is thrown out of the
    sharp well and slides into the flat basin, where the noise vanishes (the linear-stability argument of
    Wu, Ma & E 2018). Full-batch descent from the same starts stays in the sharp well.

    The held-out examples have their wells moved by (0.2, 0.1) (a shift between training and test data, as in
    the picture of Keskar et al. 2017): the sharp minimum's test loss rises by far more than the flat one's.
    """
    rng = _generator(seed, 5)
    z, z_test = (_standardized(rng.standard_normal(m)) for m in (n, N_TEST))
    train = np.stack([z, np.zeros(n), np.zeros(n)], axis=-1)
    test = np.stack([z_test, np.full(N_TEST, TEST_SHIFT[0]), np.full(N_TEST, TEST_SHIFT[1])], axis=-1)
    inv = 1.0 / (2.0 * sharpness**2)

    def loss(u, v, x, y):
        du, dv = u - x[..., 1], v - x[..., 2]  # the examples' wells are shifted by (x1, x2)
        sharp = exp(((du - SHARP_CENTRE[0]) ** 2 + dv * dv) * -inv)
        flat = exp(((du - FLAT_CENTRE[0]) ** 2 + dv * dv) * -0.5)
        return -(sharp * (1.0 + noise * x[..., 0])) - flat

    fs = FiniteSum(loss=loss, x=train, y=np.zeros(n), test_x=test, test_y=np.zeros(N_TEST), l2=l2,
                   model="slice")
    bounds = ((-2.5, 2.5), (-1.5, 1.5))
    return _surface(
        "sharp_flat_data", fs, bounds=bounds, minima=find_minima(fs, bounds, grid=151), start=(-0.95, 0.05),
        latex=r"f(w) = \frac1n\sum_i \left[-(1 + K z_i)\,e^{-\|w - c_s\|^2/2\sigma_s^2} - e^{-\|w - c_f\|^2/2}\right]"
              r" + \frac{\lambda}{2}\|w\|^2",
        lesson="The examples agree in the flat basin and disagree in the sharp well: small batches are thrown out "
               "of the sharp minimum and settle in the flat one, which also has the lower test loss.",
        params={"n": n, "noise": noise, "sharpness": sharpness, "seed": seed, "l2": l2},
    )
