"""The built-in surfaces. Each is registered with its parameters as data.

Every surface is written once as an expression in ``x`` and ``y``; values come from NumPy,
exact gradients and Hessians from forward-mode automatic differentiation (see ``autodiff``).
The quadratic bowl and Rosenbrock also carry hand-written derivatives because they are the
benchmark's hot path; the tests check them against the automatic ones.

Known minimizers are given as in the literature and polished with a few Newton steps, so
that they are exact to machine precision; the tests compare them with the printed values.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .autodiff import cos, derivatives, exp, sqrt
from .base import Surface, register, surface_from_expression
from .params import Param

TAU = 2.0 * np.pi


def polish(expression, points, iterations: int = 8) -> np.ndarray:
    """Refine approximate stationary points with Newton's method (vectorized over points)."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    for _ in range(iterations):
        jet = derivatives(expression, points, order=2)
        # pinv: a degenerate saddle (zero Hessian, zero gradient) stays where it is
        points = points - (np.linalg.pinv(jet.hess) @ jet.grad[..., None])[..., 0]
    return points


def _from_expression(name, expression, *, minima=(), saddles=(), optimal_value=None, **kw) -> Surface:
    """A surface whose listed minima and saddles are polished, and f* read off the minima."""
    minima = polish(expression, minima) if len(minima) else np.empty((0, 2))
    saddles = polish(expression, saddles) if len(saddles) else np.empty((0, 2))
    if optimal_value is None and len(minima):
        with np.errstate(all="ignore"):
            optimal_value = float(np.min(expression(minima[:, 0], minima[:, 1])))
    return surface_from_expression(
        name, expression, minima=minima, saddles=saddles, optimal_value=optimal_value, **kw
    )


def _rotation(degrees: float) -> np.ndarray:
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


# ---------------------------------------------------------------------------- quadratics


@register(
    "Ill-conditioned bowl",
    Param("kappa", 10.0, 1.0, 1000.0, log=True, label="condition number", symbol=r"\kappa",
          help="Ratio of the largest to the smallest curvature.", domain=(1.0, 1e6)),
    Param("angle", 0.0, -90.0, 90.0, label="rotation (degrees)", symbol=r"\theta",
          help="Rotate the valley away from the coordinate axes.", domain=(-360.0, 360.0)),
    source="Standard; see Goh, 'Why Momentum Really Works', Distill 2017.",
)
def ill_conditioned_bowl(kappa: float, angle: float) -> Surface:
    r"""Quadratic :math:`f(w) = \tfrac12 w^\top A w` with :math:`A = R_\theta\,\mathrm{diag}(1, \kappa)\,R_\theta^\top`.

    The eigenvalues are 1 (along the valley floor) and :math:`\kappa` (across it). Gradient
    descent is stable for :math:`\eta < 2/\kappa`; the best fixed step :math:`2/(1+\kappa)`
    contracts by :math:`(\kappa-1)/(\kappa+1)` per step. With :math:`\theta = 0` the valley lies
    along the x axis, where per-coordinate scaling (AdaGrad, RMSProp, Adam) rescales it away.
    """
    rotation = _rotation(angle)
    eigenvalues = np.array([1.0, kappa])
    A = rotation @ np.diag(eigenvalues) @ rotation.T
    a, b, c = A[0, 0], A[0, 1], A[1, 1]

    def expression(x, y):
        return 0.5 * (a * x * x + 2.0 * b * x * y + c * y * y)

    surface = _from_expression(
        "ill_conditioned_bowl",
        expression,
        bounds=((-10, 10), (-10, 10)),
        minima=[(0.0, 0.0)],
        start=rotation @ np.array([-9.0, 3.0]),
        latex=r"f(w) = \tfrac{1}{2} w^\top R_\theta \begin{pmatrix}1 & 0\\ 0 & \kappa\end{pmatrix} R_\theta^\top w",
        lesson="Gradient descent zig-zags across a narrow valley; momentum and preconditioning straighten the path.",
        params={"kappa": kappa, "angle": angle},
        log_scale=True,  # the zig-zag lives near the floor, where a linear scale is one dark band
        grad=lambda w: w @ A,  # A is symmetric
        hess=lambda w: np.broadcast_to(A, (*w.shape[:-1], 2, 2)).copy(),
    )
    return _with_eigen(surface, eigenvalues, rotation)


def _with_eigen(surface: Surface, eigenvalues, eigenvectors) -> Surface:
    return replace(surface, eigenvalues=np.asarray(eigenvalues), eigenvectors=np.asarray(eigenvectors))


@register(
    "Booth",
    source="Jamil & Yang, 'A literature survey of benchmark functions', 2013, f(1, 3) = 0.",
)
def booth() -> Surface:
    r"""Booth: :math:`(x + 2y - 7)^2 + (2x + y - 5)^2`, a mildly ill-conditioned quadratic; minimum at (1, 3)."""
    return _from_expression(
        "booth",
        lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
        bounds=((-10, 10), (-10, 10)),
        minima=[(1.0, 3.0)],
        start=(-8.0, -7.0),
        latex=r"f(x,y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
        lesson="A tilted quadratic: every method converges, the question is how straight the path is.",
    )


# ---------------------------------------------------------------------------- saddles


@register(
    "Saddle",
    Param("scale", 1.0, 0.1, 5.0, log=True, label="scale", symbol="s",
          help="Curvature of both directions.", domain=(0.0, 100.0), open_low=True),
)
def saddle(scale: float) -> Surface:
    r"""Saddle :math:`s\,(x^2 - y^2)`: a minimum along x, a maximum along y, unbounded below."""
    return _from_expression(
        "saddle",
        lambda x, y: scale * (x * x - y * y),
        bounds=((-2, 2), (-2, 2)),
        saddles=[(0.0, 0.0)],
        start=(-1.8, 1e-3),
        latex=r"f(x,y) = s\,(x^2 - y^2)",
        lesson="Started on the ridge, gradient descent is drawn into the saddle; noise or momentum escapes it.",
        params={"scale": scale},
    )


@register("Monkey saddle")
def monkey_saddle() -> Surface:
    r"""Monkey saddle :math:`x^3 - 3xy^2`: three valleys meet at a flat (degenerate) saddle point."""
    return _from_expression(
        "monkey_saddle",
        lambda x, y: x**3 - 3 * x * y * y,
        bounds=((-1.5, 1.5), (-1.5, 1.5)),
        saddles=[(0.0, 0.0)],
        start=(0.9, 0.05),
        latex=r"f(x,y) = x^3 - 3xy^2",
        lesson="At a degenerate saddle the Hessian is zero, so even Newton's method has no curvature to use.",
    )


# ---------------------------------------------------------------------------- valleys


@register(
    "Rosenbrock",
    Param("a", 1.0, -2.0, 2.0, label="minimum at", symbol="(a, a^2)", help="Position of the minimum (a, a²).",
          domain=(-10.0, 10.0)),
    Param("b", 100.0, 1.0, 1000.0, log=True, label="valley steepness", symbol="b",
          help="Steepness of the valley walls.", domain=(0.0, 1e6), open_low=True),
    source="Rosenbrock, 'An automatic method for finding the greatest or least value of a function', 1960.",
)
def rosenbrock(a: float, b: float) -> Surface:
    r"""Rosenbrock: :math:`(a - x)^2 + b\,(y - x^2)^2`, minimum 0 at :math:`(a, a^2)`.

    A curved, flat-bottomed valley: easy to find, hard to follow.
    """

    def grad(w):
        x, y = w[..., 0], w[..., 1]
        r = y - x * x
        return np.stack([-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r], axis=-1)

    def hess(w):
        x, y = w[..., 0], w[..., 1]
        hxx = 2.0 - 4.0 * b * (y - 3.0 * x * x)
        hxy = -4.0 * b * x
        hyy = np.full_like(x, 2.0 * b)
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    return _from_expression(
        "rosenbrock",
        lambda x, y: (a - x) ** 2 + b * (y - x * x) ** 2,
        bounds=((min(-2.0, a - 1.0), max(2.0, a + 1.0)), (-1.0, max(3.0, a * a + 1.0))),
        minima=[(a, a * a)],
        optimal_value=0.0,
        start=(-1.2, 1.0),
        latex=r"f(x,y) = (a - x)^2 + b\,(y - x^2)^2",
        lesson="The curved valley is found at once and followed slowly: momentum and curvature information pay off.",
        params={"a": a, "b": b},
        log_scale=True,
        grad=grad,
        hess=hess,
    )


# ---------------------------------------------------------------------------- several minima


@register("Himmelblau", source="Himmelblau, 'Applied Nonlinear Programming', 1972.")
def himmelblau() -> Surface:
    r"""Himmelblau: :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`, four minima of value 0.

    Minima (3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126).
    """
    return _from_expression(
        "himmelblau",
        lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
        bounds=((-5, 5), (-5, 5)),
        minima=[(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        saddles=[(0.086677, 2.884254), (-3.073026, -0.081353), (3.385154, 0.073852), (-0.127961, -1.953715)],
        optimal_value=0.0,
        start=(-0.5, 0.5),
        latex=r"f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        lesson="Four equal minima: which one you reach depends on where you start and on the optimizer.",
        log_scale=True,
    )


@register("Beale", source="Beale, 'On an iterative method for finding a local minimum', 1958.")
def beale() -> Surface:
    r"""Beale: :math:`(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`, minimum 0 at (3, 0.5)."""
    return _from_expression(
        "beale",
        lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        minima=[(3.0, 0.5)],
        saddles=[(0.0, 1.0)],
        optimal_value=0.0,
        start=(1.0, 1.5),
        latex=r"f(x,y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        lesson="Steep walls and a long flat floor: a large range of gradient sizes favours adaptive methods.",
        log_scale=True,
    )


@register(
    "Rastrigin",
    Param("A", 10.0, 0.0, 20.0, label="ripple amplitude", symbol="A",
          help="Height of the ripples; 0 gives a plain bowl.", domain=(0.0, 100.0)),
    source="Rastrigin, 1974; two-dimensional form.",
)
def rastrigin(A: float) -> Surface:
    r"""Rastrigin: :math:`2A + x^2 + y^2 - A(\cos 2\pi x + \cos 2\pi y)`, global minimum 0 at the origin."""
    return _from_expression(
        "rastrigin",
        lambda x, y: 2 * A + x * x + y * y - A * (cos(TAU * x) + cos(TAU * y)),
        bounds=((-5.12, 5.12), (-5.12, 5.12)),
        minima=[(0.0, 0.0)],
        optimal_value=0.0,
        start=(-3.2, 2.6),
        latex=r"f(x,y) = 2A + x^2 + y^2 - A\,(\cos 2\pi x + \cos 2\pi y)",
        lesson="A regular grid of local minima: small steps get caught in the nearest one.",
        params={"A": A},
    )


ACKLEY_SMOOTHING = 1e-4


@register("Ackley", source="Ackley, 'A connectionist machine for genetic hillclimbing', 1987.")
def ackley() -> Surface:
    r"""Ackley, smoothed at the origin so the gradient exists everywhere:

    :math:`-20 e^{-0.2\sqrt{(x^2+y^2)/2 + \delta}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20 e^{-0.2\sqrt{\delta}}`
    with :math:`\delta = 10^{-4}`. The smoothing alone would lift the minimum to about 0.04; the constant
    :math:`20 e^{-0.2\sqrt{\delta}}` in place of the usual 20 puts it back: f* = 0 at the origin, as in the
    literature.
    """
    offset = 20.0 * np.exp(-0.2 * np.sqrt(ACKLEY_SMOOTHING))  # the value of 20 e^{-0.2 r} at the origin

    def expression(x, y):
        r = sqrt(0.5 * (x * x + y * y) + ACKLEY_SMOOTHING)
        return (offset - 20.0 * exp(-0.2 * r)) + (np.e - exp(0.5 * (cos(TAU * x) + cos(TAU * y))))

    return _from_expression(
        "ackley",
        expression,
        bounds=((-4, 4), (-4, 4)),
        minima=[(0.0, 0.0)],
        start=(-3.3, 2.8),
        latex=r"f(x,y) = -20 e^{-0.2\sqrt{(x^2+y^2)/2 + \delta}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e"
              r" + 20 e^{-0.2\sqrt{\delta}}",
        lesson="A funnel covered in ripples: the global trend points home, the local gradient often does not.",
    )


@register("Six-hump camel", source="Dixon & Szegö, 'The global optimization problem', 1978.")
def six_hump_camel() -> Surface:
    r"""Six-hump camel: :math:`(4 - 2.1x^2 + x^4/3)x^2 + xy + (-4 + 4y^2)y^2`.

    Global minima -1.031628 at (0.089842, -0.712656) and (-0.089842, 0.712656).
    """
    return _from_expression(
        "six_hump_camel",
        lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
        bounds=((-2, 2), (-1.2, 1.2)),
        minima=[(0.089842, -0.712656), (-0.089842, 0.712656)],
        start=(-1.6, -0.9),
        latex=r"f(x,y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)y^2",
        lesson="Six humps, two global minima and four local ones: the start decides.",
    )


@register("Goldstein-Price", source="Goldstein & Price, 'On descent from local minima', 1971.")
def goldstein_price() -> Surface:
    r"""Goldstein-Price: a product of two quartics with minimum 3 at (0, -1) and a range of 10^6."""

    def expression(x, y):
        a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
        b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
        return a * b

    return _from_expression(
        "goldstein_price",
        expression,
        bounds=((-2, 2), (-2, 2)),
        minima=[(0.0, -1.0)],
        optimal_value=3.0,
        start=(-1.2, 1.4),
        latex=(
            r"f = \left[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
            r"\left[30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]"
        ),
        lesson="Values span six orders of magnitude: a fixed learning rate is either too small or explosive.",
        log_scale=True,
    )


@register("Styblinski-Tang", source="Styblinski & Tang, 'Experiments in nonconvex optimization', 1990.")
def styblinski_tang() -> Surface:
    r"""Styblinski-Tang: :math:`\tfrac12\sum_i (x_i^4 - 16x_i^2 + 5x_i)`.

    Global minimum -78.332331 at (-2.903534, -2.903534); three local minima in the other quadrants.
    """
    return _from_expression(
        "styblinski_tang",
        lambda x, y: 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y),
        bounds=((-5, 5), (-5, 5)),
        minima=[(-2.903534, -2.903534), (2.746803, -2.903534), (-2.903534, 2.746803), (2.746803, 2.746803)],
        saddles=[(-2.903534, 0.156731), (0.156731, -2.903534), (2.746803, 0.156731), (0.156731, 2.746803)],
        start=(0.5, 4.5),
        latex=r"f(x,y) = \tfrac{1}{2}\left(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y\right)",
        lesson="One global and three local minima of different depths: the nearest basin wins, not the deepest.",
    )


# ---------------------------------------------------------------------------- lessons in shape


@register(
    "Sharp and flat minima",
    Param("sharpness", 0.15, 0.05, 0.5, log=True, label="width of the sharp minimum", symbol=r"\sigma_s",
          help="Smaller is sharper.", domain=(0.0, 2.0), open_low=True),
    source="Made for this app; after Keskar et al., 'On large-batch training ... sharp minima', 2017.",
)
def sharp_and_flat(sharpness: float) -> Surface:
    r"""A narrow well on the flank of a wide basin, on a shallow bowl.

    :math:`f = 0.05\|w\|^2 - 0.5\,e^{-\|w - c_s\|^2/2\sigma_s^2} - e^{-\|w - c_f\|^2/2\sigma_f^2}`
    with :math:`c_s = (-1, 0)`, :math:`c_f = (1, 0)`, :math:`\sigma_f = 1`. Gradient descent started in
    the sharp well stays there; gradient noise of the same size kicks it out of the narrow well far
    more easily than out of the wide one, so noisy small-batch SGD ends in the flat minimum.
    """

    def expression(x, y):
        sharp = exp(-((x + 1.0) ** 2 + y * y) / (2 * sharpness**2))
        flat = exp(-((x - 1.0) ** 2 + y * y) / 2.0)
        return 0.05 * (x * x + y * y) - 0.5 * sharp - flat

    return _from_expression(
        "sharp_and_flat",
        expression,
        bounds=((-3, 3), (-2, 2)),
        minima=[(-1.0, 0.0), (0.9, 0.0)],
        start=(-1.0, 0.0),
        latex=r"f(w) = 0.05\|w\|^2 - 0.5\,e^{-\|w - (-1,0)\|^2 / 2\sigma_s^2} - e^{-\|w - (1,0)\|^2 / 2}",
        lesson="Noisy small-batch SGD is shaken out of the sharp minimum and settles in the wide, flat one.",
        params={"sharpness": sharpness},
    )


@register(
    "Plateau",
    Param("width", 0.8, 0.3, 2.0, label="width of the well", symbol=r"\sigma",
          help="Narrower wells leave a flatter plateau around them.", domain=(0.0, 10.0), open_low=True),
)
def plateau(width: float) -> Surface:
    r"""A Gaussian well in a plateau: :math:`1 - e^{-(x^2+y^2)/2\sigma^2}`, minimum 0 at the origin.

    Far from the well the gradient is exponentially small, so plain SGD stalls while
    methods that normalise the step (Adam, RMSProp) keep moving.
    """
    return _from_expression(
        "plateau",
        lambda x, y: 1.0 - exp(-(x * x + y * y) / (2 * width**2)),
        bounds=((-3, 3), (-3, 3)),
        minima=[(0.0, 0.0)],
        optimal_value=0.0,
        start=(-2.5, 2.0),
        latex=r"f(x,y) = 1 - e^{-(x^2+y^2)/2\sigma^2}",
        lesson="On a plateau the gradient all but vanishes: plain SGD stalls, normalised steps keep moving.",
        params={"width": width},
    )


# ---------------------------------------------------------------------------- your own

DEFAULT_FORMULA = "sin(x)*cos(y) + 0.1*(x^2 + y^2)"


@register(
    "Custom formula",
    Param("formula", DEFAULT_FORMULA, 0, 500, kind="text", label="f(x, y) =",
          help="Numbers, x, y, pi, e, + - * / ^ and functions such as sin, exp, log, sqrt, tanh."),
    Param("half_width", 3.0, 0.5, 20.0, log=True, label="view half-width", symbol="r",
          help="The view spans [-r, r] in both coordinates.", domain=(0.0, 1e4), open_low=True),
)
def custom(formula: str, half_width: float) -> Surface:
    """A formula typed by the user, parsed safely (never evaluated as Python) and differentiated exactly."""
    from .formula import parse_formula  # raises FormulaError (a ValueError) on rejected text

    parsed = parse_formula(formula)
    r = half_width
    return _from_expression(
        "custom",
        parsed.expression,
        bounds=((-r, r), (-r, r)),
        start=(-0.8 * r, 0.6 * r),
        latex="f(x,y) = " + parsed.latex,
        lesson="Your own surface: try a formula, then watch how each optimizer handles it.",
        params={"formula": formula, "half_width": half_width},
    )
