"""Every first-order optimizer in the registry: golden iterates worked out by hand, batching, immutability,
convergence, hyperparameter validation and documentation.

The golden values come from the documented update rules written out again below in plain Python floats,
independently of the implementation, on f(x, y) = ½(x² + 4y²) (the bowl with kappa = 4, angle = 0), whose
gradient is (x, 4y). Each coordinate then evolves on its own, ``g = c·x`` with curvature c = 1 or 4, so each
rule is a scalar recurrence ``hand_<name>(x, c, h) -> [x_1, x_2, ...]`` with h the hyperparameters.
"""

import math

import numpy as np
import pytest

from optimizers import OPTIMIZERS, get_optimizer, run
from surfaces import get_surface

FIRST_ORDER = [n for n, s in OPTIMIZERS.items() if s.schedule]  # a learning rate times a direction
QUADRATIC = dict(kappa=4.0, angle=0.0)  # f = ½(x² + 4y²)
CURVATURES = (1.0, 4.0)
X0 = (1.0, -0.5)


# ---------------------------------------------------------------------------- the rules, by hand


def hand_sgd(x, c, h, steps):
    """x ← x − η(c·x + λx)."""
    out = []
    for _ in range(steps):
        g = c * x + h["weight_decay"] * x
        x = x - h["lr"] * g
        out.append(x)
    return out


def hand_momentum(x, c, h, steps):
    """b ← g on the first step, then b ← μb + (1 − τ)g; x ← x − ηb."""
    out, b = [], None
    for _ in range(steps):
        g = c * x + h["weight_decay"] * x
        b = g if b is None else h["momentum"] * b + (1 - h["dampening"]) * g
        x = x - h["lr"] * b
        out.append(x)
    return out


def hand_nesterov(x, c, h, steps):
    """b ← g on the first step, then b ← μb + g; x ← x − η(g + μb)."""
    out, b = [], None
    for _ in range(steps):
        g = c * x + h["weight_decay"] * x
        b = g if b is None else h["momentum"] * b + g
        x = x - h["lr"] * (g + h["momentum"] * b)
        out.append(x)
    return out


def hand_nesterov_lookahead(x, c, h, steps):
    """The lecture notes' form: a ← βa + ∇L(W − ηβa), W ← W − ηa (a starting at 0)."""
    out, a = [], 0.0
    for _ in range(steps):
        y = x - h["lr"] * h["momentum"] * a
        a = h["momentum"] * a + c * y + h["weight_decay"] * y
        x = x - h["lr"] * a
        out.append(x)
    return out


def hand_adagrad(x, c, h, steps):
    """s ← s + g²; x ← x − η/(1 + (t−1)·decay) · g/(√s + ε), s starting at the initial accumulator."""
    out, s = [], h["initial_accumulator_value"]
    for t in range(1, steps + 1):
        g = c * x + h["weight_decay"] * x
        s = s + g * g
        x = x - h["lr"] / (1 + (t - 1) * h["lr_decay"]) * g / (math.sqrt(s) + h["eps"])
        out.append(x)
    return out


def hand_rmsprop(x, c, h, steps):
    """v ← αv + (1−α)g²; ḡ ← αḡ + (1−α)g; b ← μb + g/(√(v − ḡ²) + ε); x ← x − ηb (centered)."""
    assert h["centered"]
    out, v, g_bar, b = [], 0.0, 0.0, 0.0
    a = h["alpha"]
    for _ in range(steps):
        g = c * x + h["weight_decay"] * x
        v = a * v + (1 - a) * g * g
        g_bar = a * g_bar + (1 - a) * g
        b = h["momentum"] * b + g / (math.sqrt(v - g_bar * g_bar) + h["eps"])
        x = x - h["lr"] * b
        out.append(x)
    return out


def hand_adadelta(x, c, h, steps):
    """v ← ρv + (1−ρ)g²; Δ = √(u + ε)/√(v + ε)·g; u ← ρu + (1−ρ)Δ²; x ← x − ηΔ."""
    out, v, u = [], 0.0, 0.0
    rho, eps = h["rho"], h["eps"]
    for _ in range(steps):
        g = c * x + h["weight_decay"] * x
        v = rho * v + (1 - rho) * g * g
        delta = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        x = x - h["lr"] * delta
        out.append(x)
    return out


def hand_adam(x, c, h, steps, decoupled=False):
    """m, v running means; m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ) (or neither); x ← x − η m̂/(√v̂ + ε).

    AMSGrad uses the running maximum of v in v̂. Decoupled (AdamW): x ← x(1 − ηλ) before the step,
    with the gradient taken at the old x and no λx added to it.
    """
    out, m, v, v_max = [], 0.0, 0.0, 0.0
    b1, b2, lr, wd = h["beta1"], h["beta2"], h["lr"], h["weight_decay"]
    correct = h.get("bias_correction", True)
    for t in range(1, steps + 1):
        g = c * x if decoupled else c * x + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = max(v_max, v)
        v_used = v_max if h["amsgrad"] else v
        m_hat = m / (1 - b1**t) if correct else m
        v_hat = v_used / (1 - b2**t) if correct else v_used
        if decoupled:
            x = x * (1 - lr * wd)
        x = x - lr * m_hat / (math.sqrt(v_hat) + h["eps"])
        out.append(x)
    return out


def hand_adamw(x, c, h, steps):
    """Adam with decoupled weight decay."""
    return hand_adam(x, c, h, steps, decoupled=True)


def hand_nadam(x, c, h, steps):
    """μ_t = β1(1 − ½·0.96^(tψ)); x ← x − η[μ_{t+1} m/(1 − Πμ_{1..t+1}) + (1 − μ_t) g/(1 − Πμ_{1..t})]/(√v̂ + ε)."""
    out, m, v, product = [], 0.0, 0.0, 1.0
    b1, b2, psi = h["beta1"], h["beta2"], h["momentum_decay"]
    for t in range(1, steps + 1):
        g = c * x + h["weight_decay"] * x
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        product = product * mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = mu_next * m / (1 - product * mu_next) + (1 - mu) * g / (1 - product)
        x = x - h["lr"] * m_hat / (math.sqrt(v / (1 - b2**t)) + h["eps"])
        out.append(x)
    return out


def hand_radam(x, c, h, steps):
    """Adam's m̂; x ← x − η m̂ r_t l_t when ρ_t > 5, else x ← x − η m̂ (see the docstring of ``radam``)."""
    out, m, v = [], 0.0, 0.0
    b1, b2 = h["beta1"], h["beta2"]
    rho_inf = 2 / (1 - b2) - 1
    for t in range(1, steps + 1):
        g = c * x + h["weight_decay"] * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            l = math.sqrt(1 - b2**t) / (math.sqrt(v) + h["eps"])
            x = x - h["lr"] * m_hat * r * l
        else:
            x = x - h["lr"] * m_hat
        out.append(x)
    return out


def hand_adamax(x, c, h, steps):
    """u ← max(β2·u, |g| + ε); x ← x − η/(1 − β1ᵗ) · m/u."""
    out, m, u = [], 0.0, 0.0
    b1 = h["beta1"]
    for t in range(1, steps + 1):
        g = c * x + h["weight_decay"] * x
        m = b1 * m + (1 - b1) * g
        u = max(h["beta2"] * u, abs(g) + h["eps"])
        x = x - h["lr"] / (1 - b1**t) * m / u
        out.append(x)
    return out


def hand_lion(x, c, h, steps):
    """c_t = β1m + (1−β1)g; x ← x − η(sign(c_t) + λx); m ← β2m + (1−β2)g."""
    out, m = [], 0.0
    for _ in range(steps):
        g = c * x
        mix = h["beta1"] * m + (1 - h["beta1"]) * g
        x = x - h["lr"] * (math.copysign(1.0, mix) * (mix != 0) + h["weight_decay"] * x)
        m = h["beta2"] * m + (1 - h["beta2"]) * g
        out.append(x)
    return out


# (name, hyperparameters, hand rule, steps): non-default settings, so that every term of every rule counts.
GOLDEN = [
    ("sgd", dict(lr=0.1, weight_decay=0.05), hand_sgd, 3),
    ("momentum", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1), hand_momentum, 3),
    ("nesterov", dict(lr=0.05, momentum=0.7, weight_decay=0.1), hand_nesterov, 3),
    ("nesterov_lookahead", dict(lr=0.05, momentum=0.7, weight_decay=0.1), hand_nesterov_lookahead, 3),
    ("adagrad", dict(lr=0.3, lr_decay=0.2, eps=1e-3, initial_accumulator_value=0.4, weight_decay=0.1), hand_adagrad, 3),
    ("rmsprop", dict(lr=0.02, alpha=0.8, eps=1e-3, momentum=0.5, centered=True, weight_decay=0.1), hand_rmsprop, 3),
    ("adadelta", dict(lr=0.7, rho=0.6, eps=1e-2, weight_decay=0.1), hand_adadelta, 3),
    # beta2 = 0.5 and lr = 0.5 make v shrink at step 2, so AMSGrad's maximum matters
    ("adam", dict(lr=0.5, beta1=0.7, beta2=0.5, eps=1e-3, weight_decay=0.1, amsgrad=True, bias_correction=True),
     hand_adam, 3),
    ("adam", dict(lr=0.1, beta1=0.8, beta2=0.99, eps=1e-8, weight_decay=0.0, amsgrad=False, bias_correction=False),
     hand_adam, 3),
    ("adamw", dict(lr=0.1, beta1=0.8, beta2=0.9, eps=1e-3, weight_decay=0.3, amsgrad=False), hand_adamw, 3),
    ("nadam", dict(lr=0.1, beta1=0.8, beta2=0.9, eps=1e-3, weight_decay=0.1, momentum_decay=0.05), hand_nadam, 3),
    # rho_t > 5 from step 6: eight steps cover both branches
    ("radam", dict(lr=0.05, beta1=0.8, beta2=0.95, eps=1e-3, weight_decay=0.1), hand_radam, 8),
    ("adamax", dict(lr=0.1, beta1=0.8, beta2=0.9, eps=1e-3, weight_decay=0.1), hand_adamax, 3),
    # y crosses 0 near step 5 and overshoots: then sign(c_t) and sign(g_t) differ
    ("lion", dict(lr=0.1, beta1=0.8, beta2=0.9, weight_decay=0.2), hand_lion, 8),
]

# Convergence on the kappa = 2 bowl from (-3, 2) with the default hyperparameters (every default lr suits
# this bowl): (step budget, tolerance on |x - x*| at the end). RMSProp and Lion do not converge with a fixed
# rate: near the minimum RMSProp's normalised step and Lion's sign step keep a size of about lr, so they end
# within ~lr of it.
CONVERGENCE = {
    "sgd": (300, 1e-6),
    "momentum": (500, 1e-6),
    "nesterov": (500, 1e-6),
    "nesterov_lookahead": (500, 1e-6),
    "adagrad": (400, 1e-6),
    "rmsprop": (1000, 2e-2),
    "adadelta": (1500, 1e-6),
    "adam": (600, 1e-6),
    "adamw": (600, 1e-6),
    "nadam": (600, 1e-6),
    "radam": (3000, 1e-6),  # the default 0.01 is slow but gets there
    "adamax": (600, 1e-6),
    "lion": (1000, 2e-2),
}


def bowl(kappa=4.0, angle=0.0):
    """The quadratic ½ wᵀAw with eigenvalues 1 and kappa, rotated by angle degrees."""
    return get_surface("ill_conditioned_bowl", kappa=kappa, angle=angle)


def hand_iterates(rule, h, steps):
    """The hand-worked iterates (steps+1, 2) from X0, one scalar recurrence per coordinate."""
    columns = [[x0, *rule(x0, c, h, steps)] for x0, c in zip(X0, CURVATURES, strict=True)]
    return np.array(columns).T


def sample_values(param, n):
    """``n`` distinct valid values of a numeric hyperparameter: rates near the default, others across the slider."""
    if param.name == "lr":
        return np.geomspace(param.default / 4, param.default, n)
    if param.log:
        return np.geomspace(param.low, param.high, n + 2)[1:-1]
    return np.linspace(param.low, param.high, n + 2)[1:-1]


def bad_domain_values(param):
    """Values just outside the parameter's domain (empty when it has none)."""
    lo, hi = param.domain
    out = []
    if lo is not None:
        out += [lo if param.open_low else lo - 1e-3, lo - 1.0]
    if hi is not None:
        out += [hi if param.open_high else hi + 1e-3, hi + 1.0]
    return out


# ---------------------------------------------------------------------------- golden values


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_every_optimizer_has_golden_values(name):
    assert name in {g[0] for g in GOLDEN}


@pytest.mark.parametrize(("name", "hparams", "rule", "steps"), GOLDEN, ids=[f"{g[0]}{i}" for i, g in enumerate(GOLDEN)])
def test_golden_iterates_by_hand(name, hparams, rule, steps):
    assert set(hparams) <= {p.name for p in OPTIMIZERS[name].params}
    traj = run(get_optimizer(name, **hparams), bowl(**QUADRATIC), [X0], steps)
    expected = hand_iterates(rule, hparams, steps)
    assert not np.allclose(expected[1], expected[0])  # the rule moves
    np.testing.assert_allclose(traj.xs[:, 0], expected, rtol=1e-12, atol=0)


def test_the_golden_quadratic_is_the_one_written_by_hand():
    surface = bowl(**QUADRATIC)
    points = np.array([[1.0, -0.5], [0.3, 2.0]])
    np.testing.assert_array_equal(surface.grad(points), points * np.array(CURVATURES))
    np.testing.assert_allclose(surface.f(points), 0.5 * (points[:, 0] ** 2 + 4 * points[:, 1] ** 2), rtol=1e-15)


# ---------------------------------------------------------------------------- batching and purity


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_batched_hyperparameters_equal_separate_runs(name):
    """N = 5 trajectories with an array per numeric hyperparameter equal 5 runs with scalars.

    Not always bit for bit: numpy's vectorised ``power`` (for β^t) may differ from Python's in the last bit,
    so the comparison allows 1e-15 relative to the value and to the scale of the run (|x0| ~ 3), for coordinates
    that pass near zero.
    """
    n, steps = 5, 30
    hparams = {p.name: sample_values(p, n) for p in OPTIMIZERS[name].params if p.kind == "float"}
    surface = bowl()
    x0 = np.array([[-3.0, 2.0], [1.0, 1.0], [-3.0, 2.0], [2.5, -0.5], [0.1, 3.0]])
    batched = run(get_optimizer(name, **hparams), surface, x0, steps)
    for i in range(n):
        single = run(get_optimizer(name, **{k: float(v[i]) for k, v in hparams.items()}), surface, x0[i:i + 1], steps)
        np.testing.assert_allclose(batched.xs[:, i], single.xs[:, 0], rtol=1e-15, atol=3e-15)
        np.testing.assert_array_equal(batched.lrs[:, i], single.lrs[:, 0])
        assert batched.diverged_at[i] == single.diverged_at[0]
    assert np.all(np.isfinite(batched.xs))
    assert not np.allclose(batched.xs[-1, 0], batched.xs[-1, 2])  # same start, different settings


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_running_twice_gives_the_same_trajectory_and_leaves_inputs_alone(name):
    lr_param = OPTIMIZERS[name].params[0]
    assert lr_param.name == "lr"
    lr = lr_param.default * np.array([0.5, 1.0, 0.7])
    lr_before = lr.copy()
    optimizer = get_optimizer(name, lr=lr)
    x0 = np.array([[-1.2, 1.0], [0.5, -0.5], [1.5, 2.0]])
    x0_before = x0.copy()
    surface = get_surface("rosenbrock")
    first = run(optimizer, surface, x0, 25, noise=0.1, seed=3)
    second = run(optimizer, surface, x0, 25, noise=0.1, seed=3)
    for a, b in zip(first, second, strict=True):
        if isinstance(a, dict):
            assert a == b == {}
        else:
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x0, x0_before)
    np.testing.assert_array_equal(lr, lr_before)


# ---------------------------------------------------------------------------- convergence


def test_convergence_table_covers_the_registry():
    assert set(CONVERGENCE) == set(FIRST_ORDER)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_reaches_the_minimum_of_a_well_conditioned_bowl(name):
    steps, tol = CONVERGENCE[name]
    traj = run(get_optimizer(name), bowl(kappa=2.0), [(-3.0, 2.0)], steps)
    assert traj.diverged_at[0] == -1
    assert np.linalg.norm(traj.xs[-1, 0]) <= tol
    assert traj.fs[-1, 0] < 1e-3 * traj.fs[0, 0]


# ---------------------------------------------------------------------------- validation


def _raises_naming(fragment, make):
    """``make()`` raises ValueError and the message contains ``fragment`` (the parameter's quoted name)."""
    with pytest.raises(ValueError) as info:
        make()
    assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_out_of_domain_nan_and_wrong_type_hyperparameters_raise(name):
    for param in OPTIMIZERS[name].params:
        bad = [math.nan, "0.1", None, [[0.1, 0.2]], {"value": 0.1}]
        if param.kind == "bool":
            bad += [2, 0.5, "yes"]
        else:
            bad += [*bad_domain_values(param), math.inf, np.array([param.default, math.nan])]
        for value in bad:
            _raises_naming(repr(param.name), lambda v=value, p=param: get_optimizer(name, **{p.name: v}))


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_every_default_and_slider_end_is_accepted(name):
    for param in OPTIMIZERS[name].params:
        values = [param.default] if param.kind == "bool" else [param.default, param.low, param.high]
        for value in values:
            assert get_optimizer(name, **{param.name: value}).hparams[param.name] == value


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_unknown_hyperparameter_raises(name):
    _raises_naming("'betas'", lambda: get_optimizer(name, betas=(0.9, 0.999)))
    _raises_naming("'learning_rate'", lambda: get_optimizer(name, learning_rate=0.1))


def test_unknown_optimizer_raises():
    _raises_naming("'adamm'", lambda: get_optimizer("adamm"))


@pytest.mark.parametrize(
    ("x0", "steps", "fragment"),
    [
        ([[0.0, 1.0]], -1, "steps"),
        ([[0.0, 1.0]], 2.0, "steps"),
        ([[0.0, 1.0]], 2.5, "steps"),
        ([[0.0, 1.0]], "3", "steps"),
        ([0.0, 1.0, 2.0], 3, "x0"),
        (np.zeros((4, 3)), 3, "x0"),
        (np.zeros((0, 2)), 3, "x0"),
        (np.zeros((2, 2, 2)), 3, "x0"),
        ([[0.0, math.nan]], 3, "x0"),
        ([[math.inf, 0.0], [0.0, 0.0]], 3, "x0"),
    ],
)
def test_run_rejects_bad_arguments(x0, steps, fragment):
    _raises_naming(fragment, lambda: run(get_optimizer("sgd"), bowl(), x0, steps))


def test_run_accepts_one_point_and_zero_steps():
    traj = run(get_optimizer("adam"), bowl(), [1.0, 2.0], 0)
    assert traj.xs.shape == (1, 1, 2)
    assert traj.lrs.shape == (0, 1)
    np.testing.assert_array_equal(traj.xs[0, 0], [1.0, 2.0])


# ---------------------------------------------------------------------------- documentation


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_latex_and_docstring(name):
    spec = OPTIMIZERS[name]
    assert spec.latex.startswith(r"\begin{aligned}")
    assert spec.latex.endswith(r"\end{aligned}")
    assert len(spec.latex) > len(r"\begin{aligned}\end{aligned}") + 10
    assert spec.factory.__doc__ and spec.factory.__doc__.strip()
    assert spec.doc and spec.title
    for param in spec.params:
        assert param.label, f"{name}.{param.name} has no label"


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_latex_is_exactly_the_math_block(name):
    """The rendered rule holds the docstring's math lines and none of the prose after them."""
    latex = OPTIMIZERS[name].latex
    assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")
    assert ":math:" not in latex and "``" not in latex
    body = latex[len(r"\begin{aligned}"):-len(r"\end{aligned}")]
    assert "&" in body  # aligned equations, not a sentence


def test_a_symbol_is_not_spelled_twice_in_a_widget_label():
    """The widget label is the words plus the symbol (in Unicode, no raw LaTeX for a screen reader): a label that
    already held the symbol ("β₁ (first moment decay)") showed it twice, "β₁ (first moment decay) β₁"."""
    from surfaces import SURFACES
    from ui.labels import plain_label, plain_symbol

    for registry in (OPTIMIZERS, SURFACES):
        for name in registry:
            for p in registry[name].params:
                if p.symbol:
                    assert p.label.isascii() and p.label.strip() != p.symbol, (name, p.name, p.label)
                    assert plain_label(p) == f"{p.label} {plain_symbol(p)}", (name, p.name)
                    assert "\\" not in plain_label(p) and "$" not in plain_label(p), (name, p.name)


# ---------------------------------------------------------------------------- theory hooks


def iteration_matrix(name, h, lam):
    """The linear map of one step on f = ½λx² (one coordinate), in the state (x, velocity), written out again."""
    eta, mu = h["lr"], h.get("momentum", 0.0)
    a = eta * lam
    if name == "sgd":
        return np.array([[1.0 - a]])
    if name == "momentum":  # b ← μb + (1 − τ)λx, x ← x − ηb
        keep = 1.0 - h.get("dampening", 0.0)
        return np.array([[1.0 - a * keep, -eta * mu], [keep * lam, mu]])
    if name == "nesterov":  # b ← μb + λx, x ← x − η(λx + μb)
        return np.array([[1.0 - a * (1 + mu), -eta * mu * mu], [lam, mu]])
    if name == "nesterov_lookahead":  # a ← μ(1 − ηλ)a + λx, x ← x − ηa
        return np.array([[1.0 - a, -eta * mu * (1 - a)], [lam, mu * (1 - a)]])
    raise AssertionError(name)


WITH_LIMIT = [n for n, s in OPTIMIZERS.items() if s.stability_limit is not None]


def test_the_methods_with_a_stability_limit():
    assert set(WITH_LIMIT) == {"sgd", "momentum", "nesterov", "nesterov_lookahead"}


@pytest.mark.parametrize("name", WITH_LIMIT)
@pytest.mark.parametrize("mu", [0.0, 0.5, 0.9])
def test_stability_limit_is_where_the_spectral_radius_reaches_one(name, mu):
    lam = 7.0
    h = OPTIMIZERS[name].defaults()
    h.update({k: v for k, v in (("momentum", mu), ("dampening", 0.25)) if k in h})
    limit = OPTIMIZERS[name].stability_limit(h, lam)

    def radius(eta):
        return max(abs(np.linalg.eigvals(iteration_matrix(name, {**h, "lr": eta}, lam))))

    assert radius(limit * 0.999) < 1.0 < radius(limit * 1.001)
    # and the run itself: just below the limit it converges, just above it diverges
    s = get_surface("ill_conditioned_bowl", kappa=lam, angle=0.0)
    lrs = np.array([limit * 0.98, limit * 1.02])
    traj = run(get_optimizer(name, **{**h, "lr": lrs}), s, [[0.0, 1.0]] * 2, 3000)  # along the steep axis
    assert abs(traj.xs[-1, 0, 1]) < 1e-3 and traj.diverged_at[1] > 0


def test_heavy_ball_limit_is_two_plus_two_beta_over_lambda_max():
    limit = OPTIMIZERS["momentum"].stability_limit
    assert limit({"momentum": 0.9}, 10.0) == pytest.approx(0.38)
    assert OPTIMIZERS["sgd"].stability_limit({}, 10.0) == pytest.approx(0.2)
    assert OPTIMIZERS["sgd"].stability_limit({"weight_decay": 1.0}, 9.0) == pytest.approx(0.2)


def test_lecture_nesterov_takes_its_gradients_where_torchs_form_walks():
    """torch's Nesterov runs in the shifted variable: its iterate x_t is the lecture form's look-ahead y_{t+1}."""
    s = bowl(kappa=10.0, angle=30.0)
    h = dict(lr=0.05, momentum=0.8, weight_decay=0.1)
    lecture = run(get_optimizer("nesterov_lookahead", **h), s, [s.start], 30, record=True)
    torch_form = run(get_optimizer("nesterov", **h), s, [s.start], 30)
    np.testing.assert_allclose(lecture.internals["lookahead"][1:], torch_form.xs[1:-1], rtol=1e-12, atol=1e-12)
    assert np.allclose(lecture.internals["lookahead"][0], s.start)  # the first look-ahead is the start
    assert not np.allclose(lecture.xs[1:], torch_form.xs[1:])  # the walked points differ


def test_heavy_ball_cannot_beat_root_mu_whatever_the_rate():
    h = {"momentum": 0.81, "dampening": 0.0}
    floor = OPTIMIZERS["momentum"].rate_floor(h)
    radii = [max(abs(np.linalg.eigvals(iteration_matrix("momentum", {**h, "lr": eta}, lam))))
             for eta in np.geomspace(1e-3, 1.0, 60) for lam in (1.0, 3.0)]
    assert floor == pytest.approx(0.9) and min(radii) >= floor - 1e-12
    assert min(radii) < floor + 1e-3  # and it is reached (at critical damping)
