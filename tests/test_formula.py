"""Custom formulas: exact values and derivatives, hostile input rejected fast, LaTeX, no eval."""

from __future__ import annotations

import ast
import re
import string
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy import arccos, arcsin, arcsinh, arctan, cos, cosh, exp, log, pi, sin, sinh, sqrt, tan, tanh

from surfaces import formula as formula_module
from surfaces.autodiff import FUNCTIONS, Jet, derivatives, variables
from surfaces.formula import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_LITERAL,
    MAX_NODES,
    MAX_PAREN_DEPTH,
    Formula,
    FormulaError,
    parse_formula,
)

RNG_SEED = 20240611


def sigmoid(u):
    return 1.0 / (1.0 + exp(-u))


def sech2(u):
    return 1.0 / cosh(u) ** 2


# (text, value, gradient, Hessian or None), all written by hand.
CASES = [
    (
        "sin(x)*cos(y) + 0.1*(x^2+y^2)",
        lambda x, y: sin(x) * cos(y) + 0.1 * (x**2 + y**2),
        lambda x, y: (cos(x) * cos(y) + 0.2 * x, -sin(x) * sin(y) + 0.2 * y),
        lambda x, y: (
            (-sin(x) * cos(y) + 0.2, -cos(x) * sin(y)),
            (-cos(x) * sin(y), -sin(x) * cos(y) + 0.2),
        ),
    ),
    (
        "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
        lambda x, y: (
            4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7),
            2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7),
        ),
        lambda x, y: (
            (12 * x**2 + 4 * y - 42, 4 * x + 4 * y),
            (4 * x + 4 * y, 4 * x + 12 * y**2 - 26),
        ),
    ),
    (
        "exp(-(x^2 + y^2)/2) / (2*pi)",
        lambda x, y: exp(-(x**2 + y**2) / 2) / (2 * pi),
        lambda x, y: (
            -x * exp(-(x**2 + y**2) / 2) / (2 * pi),
            -y * exp(-(x**2 + y**2) / 2) / (2 * pi),
        ),
        lambda x, y: (
            ((x**2 - 1) * exp(-(x**2 + y**2) / 2) / (2 * pi), x * y * exp(-(x**2 + y**2) / 2) / (2 * pi)),
            (x * y * exp(-(x**2 + y**2) / 2) / (2 * pi), (y**2 - 1) * exp(-(x**2 + y**2) / 2) / (2 * pi)),
        ),
    ),
    (
        "log(1 + x^2 + y^2) - sqrt(2 + cos(x*y))",
        lambda x, y: log(1 + x**2 + y**2) - sqrt(2 + cos(x * y)),
        lambda x, y: (
            2 * x / (1 + x**2 + y**2) + y * sin(x * y) / (2 * sqrt(2 + cos(x * y))),
            2 * y / (1 + x**2 + y**2) + x * sin(x * y) / (2 * sqrt(2 + cos(x * y))),
        ),
        None,
    ),
    (
        "tan(0.3*x) + tanh(y)*sinh(0.5*x) - cosh(0.2*y)",
        lambda x, y: tan(0.3 * x) + tanh(y) * sinh(0.5 * x) - cosh(0.2 * y),
        lambda x, y: (
            0.3 / cos(0.3 * x) ** 2 + 0.5 * tanh(y) * cosh(0.5 * x),
            sech2(y) * sinh(0.5 * x) - 0.2 * sinh(0.2 * y),
        ),
        None,
    ),
    (
        "arctan(x)*arcsinh(y) - x/(1 + y^2)",
        lambda x, y: arctan(x) * arcsinh(y) - x / (1 + y**2),
        lambda x, y: (
            arcsinh(y) / (1 + x**2) - 1 / (1 + y**2),
            arctan(x) / sqrt(1 + y**2) + 2 * x * y / (1 + y**2) ** 2,
        ),
        lambda x, y: (
            (-2 * x * arcsinh(y) / (1 + x**2) ** 2, 1 / ((1 + x**2) * sqrt(1 + y**2)) + 2 * y / (1 + y**2) ** 2),
            (
                1 / ((1 + x**2) * sqrt(1 + y**2)) + 2 * y / (1 + y**2) ** 2,
                -arctan(x) * y / (1 + y**2) ** 1.5 + 2 * x * (1 - 3 * y**2) / (1 + y**2) ** 3,
            ),
        ),
    ),
    (
        "arcsin(0.5*sin(x)) + arccos(0.5*cos(y))",
        lambda x, y: arcsin(0.5 * sin(x)) + arccos(0.5 * cos(y)),
        lambda x, y: (
            0.5 * cos(x) / sqrt(1 - 0.25 * sin(x) ** 2),
            0.5 * sin(y) / sqrt(1 - 0.25 * cos(y) ** 2),
        ),
        None,
    ),
    (
        "sigmoid(x - y) + softplus(2*y) - abs(x)",
        lambda x, y: sigmoid(x - y) + log(1 + exp(2 * y)) - np.abs(x),
        lambda x, y: (
            sigmoid(x - y) * (1 - sigmoid(x - y)) - np.sign(x),
            -sigmoid(x - y) * (1 - sigmoid(x - y)) + 2 * sigmoid(2 * y),
        ),
        lambda x, y: (
            (
                sigmoid(x - y) * (1 - sigmoid(x - y)) * (1 - 2 * sigmoid(x - y)),
                -sigmoid(x - y) * (1 - sigmoid(x - y)) * (1 - 2 * sigmoid(x - y)),
            ),
            (
                -sigmoid(x - y) * (1 - sigmoid(x - y)) * (1 - 2 * sigmoid(x - y)),
                sigmoid(x - y) * (1 - sigmoid(x - y)) * (1 - 2 * sigmoid(x - y))
                + 4 * sigmoid(2 * y) * (1 - sigmoid(2 * y)),
            ),
        ),
    ),
    (
        "(1 + x^2)^(y/2) + 2^x - e^y",
        lambda x, y: (1 + x**2) ** (y / 2) + 2**x - exp(y),
        lambda x, y: (
            y * x * (1 + x**2) ** (y / 2 - 1) + log(2) * 2**x,
            (1 + x**2) ** (y / 2) * log(1 + x**2) / 2 - exp(y),
        ),
        None,
    ),
    (
        "-x^2 + +y - (x - y)*(x + y)/3**2",
        lambda x, y: -(x**2) + y - (x - y) * (x + y) / 9,
        lambda x, y: (-2 * x - 2 * x / 9, 1 + 2 * y / 9),
        lambda x, y: ((-2 - 2 / 9 + 0 * x, 0 * x), (0 * x, 2 / 9 + 0 * x)),
    ),
    (
        "x^-2 * y^3 - 1/(x^2 + y^2 + 1)",
        lambda x, y: y**3 / x**2 - 1 / (x**2 + y**2 + 1),
        lambda x, y: (
            -2 * y**3 / x**3 + 2 * x / (x**2 + y**2 + 1) ** 2,
            3 * y**2 / x**2 + 2 * y / (x**2 + y**2 + 1) ** 2,
        ),
        None,
    ),
    (
        "pi*y - e*x + 2.5",
        lambda x, y: pi * y - np.e * x + 2.5,
        lambda x, y: (-np.e + 0 * x, pi + 0 * y),
        lambda x, y: ((0 * x, 0 * x), (0 * x, 0 * x)),
    ),
    (
        "3",
        lambda x, y: 3.0 + 0 * x,
        lambda x, y: (0 * x, 0 * x),
        lambda x, y: ((0 * x, 0 * x), (0 * x, 0 * x)),
    ),
]
CASE_IDS = [case[0] for case in CASES]
HESSIAN_CASES = [case for case in CASES if case[3] is not None]


def random_points(n: int = 64) -> np.ndarray:
    """Points in [-2, 2]^2, where every formula in CASES is defined."""
    return np.random.default_rng(RNG_SEED).uniform(-2.0, 2.0, size=(n, 2))


def stacked(pair) -> np.ndarray:
    return np.stack([np.broadcast_to(np.asarray(c, dtype=float), pair[0].shape) for c in pair], -1)


def matrix(rows) -> np.ndarray:
    return np.stack([stacked(row) for row in rows], -2)


def test_cases_cover_every_function_and_operator():
    texts = " ".join(CASE_IDS)
    used = {name for name in FUNCTIONS if re.search(rf"\b{name}\(", texts)}
    assert used == set(FUNCTIONS)
    for token in ["+", "-", "*", "/", "^", "**", "+ +y", "-x", "pi", "e*"]:
        assert token in texts, token


# ------------------------------------------------------------------------- exact values


@pytest.mark.parametrize(("text", "value", "gradient", "hessian"), CASES, ids=CASE_IDS)
def test_value_and_gradient_match_hand_derivatives(text, value, gradient, hessian):
    formula = parse_formula(text)
    points = random_points()
    x, y = points[..., 0], points[..., 1]
    np.testing.assert_allclose(formula.expression(x, y), value(x, y), rtol=1e-10, atol=1e-12)
    jet = derivatives(formula.expression, points, 1)
    np.testing.assert_allclose(jet.val, value(x, y), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(jet.grad, stacked(gradient(x, y)), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("text", "value", "gradient", "hessian"), HESSIAN_CASES,
                         ids=[c[0] for c in HESSIAN_CASES])
def test_hessian_matches_hand_derivatives(text, value, gradient, hessian):
    points = random_points()
    x, y = points[..., 0], points[..., 1]
    jet = derivatives(parse_formula(text).expression, points, 2)
    np.testing.assert_allclose(jet.grad, stacked(gradient(x, y)), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(jet.hess, matrix(hessian(x, y)), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("text", CASE_IDS)
def test_hessian_matches_finite_differences_of_gradient(text):
    expression = parse_formula(text).expression
    points = random_points(32)
    h = 1e-5
    exact = derivatives(expression, points, 2).hess
    columns = []
    for step in np.eye(2) * h:
        up = derivatives(expression, points + step, 1).grad
        down = derivatives(expression, points - step, 1).grad
        columns.append((up - down) / (2 * h))
    numeric = np.stack(columns, -1)  # [..., i, j] = d grad_i / d x_j
    scale = 1.0 + np.abs(exact).max(axis=(-1, -2), keepdims=True)
    assert np.all(np.abs(numeric - exact) <= 1e-5 * scale), np.abs(numeric - exact).max()


@pytest.mark.parametrize("text", CASE_IDS)
def test_array_and_jet_paths_agree_on_a_broadcast_grid(text):
    expression = parse_formula(text).expression
    xs, ys = np.linspace(-1.9, 1.7, 7), np.linspace(-1.3, 1.9, 5)
    grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), -1)
    on_arrays = np.broadcast_to(expression(xs[:, None], ys[None, :]), (7, 5))
    np.testing.assert_allclose(on_arrays, derivatives(expression, grid, 2).val, rtol=1e-12)


# ------------------------------------------------------------------------- hostile input

HOSTILE = [
    ("9**9**9**9", "exponent"),
    ("9^9^9^9", "exponent"),
    ("10**1000", "exponent '1000'"),
    ("x**1e9", "too large"),
    ("x^65", "exponent"),
    ("x^(2^7)", "exponent '2^7' (= 128) at column 4"),
    ("x" * 10_000, "too long"),
    ("x" * (MAX_LENGTH + 1), "too long"),
    ("(" * 1000 + "x" + ")" * 1000, "too long"),
    ("(" * 200 + "x" + ")" * 200, "nested"),
    ("(" * (MAX_PAREN_DEPTH + 1) + "x" + ")" * (MAX_PAREN_DEPTH + 1), "nested"),
    ("[" * 40, "nested"),
    ("-" * 400 + "x", "nested too deeply"),
    ("sin(" * 29 + "x" + ")" * 29 + "+x" * 30, "nested too deeply"),
    ("().__class__", "attribute access '.__class__' at column 4"),
    ("x.real", "attribute access '.real' at column 3"),
    ("(1).__class__.__bases__", "attribute access"),
    ("__import__('os')", "quotes"),
    ("__import__(1)", "unknown function '__import__' at column 1"),
    ("open('f')", "quotes"),
    ("open(x)", "unknown function 'open'"),
    ("getattr(x, y)", "unknown function 'getattr'"),
    ("lambda: 1", "lambda at column 1"),
    ("[x for x in y]", "comprehension"),
    ("(x for x in y)", "comprehension"),
    ("x if y else 1", "conditional expression"),
    ('"abc"', "quotes"),
    ("b'x'", "quotes"),
    ("sin(x, y)", "exactly one argument"),
    ("sin()", "exactly one argument"),
    ("sin(x=1)", "keyword argument"),
    ("sin(*x)", "unpacking"),
    ("sin(**x)", "keyword argument"),
    ("foo(x)", "unknown function 'foo' at column 1"),
    ("os", "unknown name 'os' at column 1; allowed names: x, y, pi, e, sin"),
    ("sin", "function 'sin' at column 1 must be called"),
    ("x(y)", "'x' is not a function"),
    ("2(x)", "not a function"),
    ("(x)(y)", "not a function"),
    ("1e999", "not finite"),
    ("1e7", "too large"),
    (str(int(MAX_LITERAL) + 1), "too large"),
    ("1" * 400, "too large"),
    ("1j", "complex"),
    ("True", "True"),
    ("None", "None"),
    ("...", "Ellipsis"),
    ("x // 2", "floor division '//' at column 3"),
    ("x % 2", "'%' at column 3"),
    ("x @ y", "'@' at column 3"),
    ("x << 1", "shift"),
    ("x | y", "bitwise or"),
    ("x & y", "bitwise and"),
    ("~x", "bitwise not"),
    ("not x", "'not'"),
    ("x < y", "comparison at column 3"),
    ("x and y", "'and'/'or' at column 3"),
    ("x, y", "tuple"),
    ("[x]", "list"),
    ("{x: y}", "dict"),
    ("{x}", "set"),
    ("x[0]", "indexing"),
    ("(x := 1)", "':='"),
    ("x # comment", "comments"),
    ("x \\\n + 1", "backslash"),
    ("x + é", "character 'é' at column 5"),
    ("x\x00", "character"),
    ("", "empty"),
    ("   \t ", "empty"),
    ("x +", "syntax error at column"),
    ("2x", "write multiplication explicitly"),
    ("x;y", "syntax error"),
    ("(x", "syntax error"),
    ("1/0", "constant part '1/0' at column 1 is inf"),
    ("x + log(-1)", "constant part 'log(-1)' at column 5 is nan"),
    ("x^(1/0)", "constant part"),
    ("1e6^64 * x", "is inf"),
    ("(-2)^x", "negative base"),
]


def rejection(text: str) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    return caught.value


@pytest.mark.parametrize(("text", "fragment"), HOSTILE, ids=[repr(t[:40]) for t, _ in HOSTILE])
def test_hostile_or_malformed_input_is_rejected_quickly(text, fragment):
    best = np.inf
    for _ in range(3):  # best of three, so a busy machine does not make this flaky
        start = time.perf_counter()
        with pytest.raises(FormulaError) as caught:
            parse_formula(text)
        best = min(best, time.perf_counter() - start)
    assert fragment in str(caught.value)
    assert best < 0.05


@pytest.mark.parametrize("text", [t for t, _ in HOSTILE if t.strip() and len(t) <= MAX_LENGTH])
def test_rejections_that_point_somewhere_name_their_column(text):
    error = rejection(text)
    if error.column is not None:
        assert f"column {error.column}" in str(error)
        assert 1 <= error.column <= len(text) + 1


def test_formula_error_is_a_value_error():
    assert issubclass(FormulaError, ValueError)
    with pytest.raises(ValueError, match="unknown name"):
        parse_formula("z")


def test_non_text_is_rejected():
    with pytest.raises(FormulaError, match="must be text"):
        parse_formula(b"x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("x + foo(y)", 5),
        ("x^2 + os", 7),
        ("x**2 + os", 8),
        ("x^2^2 + os", 9),
        ("x^2 + y^3 + z", 13),
        ("y ^ 2 // 3", 7),
        ("x^2 + 1e9", 7),
        ("x^2 + x^100", 9),
        ("sin(x)^2 + cos(x, y)", 12),
        ("x\t+ q", 5),
    ],
)
def test_column_is_reported_in_the_users_text(text, column):
    error = rejection(text)
    assert error.column == column
    assert f"column {column}" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "x" + " " * (MAX_LENGTH - 1),
        "(" * MAX_PAREN_DEPTH + "x" + ")" * MAX_PAREN_DEPTH,
        f"x^{MAX_EXPONENT} + y^-{MAX_EXPONENT}",
        f"{int(MAX_LITERAL)}*x + 1e-300",
        "+".join(["x"] * (MAX_DEPTH - 1)),
        "0x10 * x + 1_000 * y",
        "x\n+ y",
    ],
)
def test_inputs_at_the_limits_are_accepted(text):
    assert isinstance(parse_formula(text), Formula)


def balanced_sum(leaves: int) -> str:
    if leaves == 1:
        return "x"
    half = leaves // 2
    return f"({balanced_sum(half)}+{balanced_sum(leaves - half)})"


def test_node_count_limit():
    accepted = balanced_sum((MAX_NODES + 1) // 2)  # 2n - 1 nodes
    rejected = balanced_sum((MAX_NODES + 1) // 2 + 1)
    assert len(rejected) <= MAX_LENGTH
    assert parse_formula(accepted).expression(np.ones(1), np.ones(1))[0] == (MAX_NODES + 1) // 2
    with pytest.raises(FormulaError, match="too complex"):
        parse_formula(rejected)


def test_nothing_is_computed_before_the_whole_text_is_accepted(monkeypatch):
    calls = []

    def spy(u):
        calls.append(u)
        return u

    monkeypatch.setitem(FUNCTIONS, "tanh", spy)
    parse_formula("tanh(1) + x")
    assert calls, "the spy must see constant folding of an accepted formula"
    calls.clear()
    with pytest.raises(FormulaError, match="unknown name 'os'"):
        parse_formula("tanh(1) + os")
    assert calls == []


# ------------------------------------------------------------------------- undefined points


def test_undefined_points_give_nan_or_inf_without_warnings():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")  # any RuntimeWarning would fail; so would an exception
        log_x = parse_formula("log(x)").expression
        inverse = parse_formula("1/x").expression
        assert np.isnan(log_x(np.array([-1.0]), np.array([0.0])))[0]
        assert np.isneginf(log_x(np.array([0.0]), np.array([0.0])))[0]
        assert np.isposinf(inverse(np.array([0.0]), np.array([0.0])))[0]
        assert np.isposinf(inverse(0.0, 0.0))  # Python scalars too: no ZeroDivisionError
        for expression, point in [(log_x, (-1.0, 0.0)), (inverse, (0.0, 0.0))]:
            jet = derivatives(expression, np.array([point]), 2)
            assert not np.all(np.isfinite(jet.val))
            assert not np.all(np.isfinite(jet.hess))
        for text in ["sqrt(x)", "x^y", "x^0.5", "arcsin(x + 2)", "x/y", "exp(1000*x)"]:
            expression = parse_formula(text).expression
            points = np.array([[0.0, 0.0], [-1.0, 0.5], [2.0, -1.0]])
            expression(points[:, 0], points[:, 1])
            derivatives(expression, points, 2)


def test_expression_runs_without_the_callers_errstate():
    expression = parse_formula("log(x) + 1/y").expression
    with np.errstate(all="raise"):  # the expression sets its own errstate
        out = expression(np.array([-1.0, 1.0]), np.array([1.0, 0.0]))
    assert np.isnan(out[0]) and np.isposinf(out[1])


def test_constant_formula_broadcasts_and_has_zero_derivatives():
    expression = parse_formula("2*pi").expression
    out = expression(np.zeros((3, 1)), np.zeros((1, 4)))
    assert out.shape == (3, 4) and np.all(out == 2 * pi)
    jet = derivatives(expression, np.zeros((5, 2)), 2)
    assert isinstance(jet, Jet)
    assert np.all(jet.val == 2 * pi) and np.all(jet.grad == 0) and np.all(jet.hess == 0)


def test_the_callers_array_is_never_returned():
    x = np.array([1.0, 2.0])
    out = parse_formula("x").expression(x, np.zeros(2))
    out[0] = 99.0
    assert x[0] == 1.0


# ------------------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    ("caret", "stars"),
    [("x^2 + y^3", "x**2 + y**3"), ("2^x^y", "2**x**y"), ("(x^2+1)^-1.5", "(x**2+1)**-1.5"),
     ("x^y", "x**y")],
)
def test_caret_and_double_star_are_the_same(caret, stars):
    points = random_points(16) + np.array([2.5, 0.0])  # x > 0 for x^y
    a, b = parse_formula(caret).expression, parse_formula(stars).expression
    np.testing.assert_array_equal(a(points[:, 0], points[:, 1]), b(points[:, 0], points[:, 1]))
    ja, jb = derivatives(a, points, 2), derivatives(b, points, 2)
    np.testing.assert_array_equal(ja.grad, jb.grad)
    np.testing.assert_array_equal(ja.hess, jb.hess)
    assert parse_formula(caret).latex == parse_formula(stars).latex


def test_unary_minus_binds_looser_than_power_as_documented():
    value = parse_formula("-x^2").expression(np.array([3.0]), np.array([0.0]))
    assert value[0] == -9.0
    assert parse_formula("(-x)^2").expression(np.array([3.0]), np.array([0.0]))[0] == 9.0
    assert parse_formula("2^3^2").expression(np.array([0.0]), np.array([0.0]))[0] == 512.0
    assert "-(x^2)" in formula_module.__doc__


def test_constant_exponent_uses_the_jets_constant_power_rule():
    # x^3 at x = -2 is defined; exp(3 log x) would give NaN there.
    jet = derivatives(parse_formula("x^3").expression, np.array([[-2.0, 0.0]]), 2)
    np.testing.assert_allclose(jet.val, [-8.0])
    np.testing.assert_allclose(jet.grad, [[12.0, 0.0]])
    np.testing.assert_allclose(jet.hess, [[[-12.0, 0.0], [0.0, 0.0]]])


# ------------------------------------------------------------------------- LaTeX


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("x^2", "x^{2}"),
        ("x**2", "x^{2}"),
        ("sqrt(x)", r"\sqrt{x}"),
        ("1/(1+x)", r"\frac{1}{1 + x}"),
        ("sin(x)", r"\sin\left(x\right)"),
        ("abs(x - y)", r"\left|x - y\right|"),
        ("sigmoid(x)", r"\operatorname{sigmoid}\left(x\right)"),
        ("0.1*x^2", "0.1 x^{2}"),
        ("2*pi*x", r"2 \pi x"),
        ("e^x", "e^{x}"),
        ("x - (y + 1)", r"x - \left(y + 1\right)"),
        ("x - (y - 1)", r"x - \left(y - 1\right)"),
        ("x + (y + 1)", "x + y + 1"),
        ("(x*y)*x", "x y x"),
        ("(x + y)*x", r"\left(x + y\right) \cdot x"),
        ("x*2", r"x \cdot 2"),
        ("2*(x + 1)", r"2 \left(x + 1\right)"),
        ("-x^2", "-x^{2}"),
        ("(-x)^2", r"\left(-x\right)^{2}"),
        ("(x^2)^3", r"\left(x^{2}\right)^{3}"),
        ("x^2^3", "x^{2^{3}}"),
        ("x + -y", r"x + \left(-y\right)"),
        ("sin(x)^2", r"\sin\left(x\right)^{2}"),
        ("1e-05*x", "10^{-5} x"),
        ("2.5e-7", r"2.5 \cdot 10^{-7}"),
        ("x / y / 2", r"\frac{\frac{x}{y}}{2}"),
        ("+x", "x"),
        ("3.0", "3"),
    ],
)
def test_latex(text, latex):
    assert parse_formula(text).latex == latex


FUNCTION_LATEX = {
    **{name: rf"\{name}\left(x\right)" for name in
       ["sin", "cos", "tan", "exp", "log", "tanh", "sinh", "cosh", "arctan", "arcsin", "arccos"]},
    **{name: rf"\operatorname{{{name}}}\left(x\right)" for name in ["arcsinh", "sigmoid", "softplus"]},
    "sqrt": r"\sqrt{x}",
    "abs": r"\left|x\right|",
}


def test_latex_of_every_function():
    assert set(FUNCTION_LATEX) == set(FUNCTIONS)
    for name, latex in FUNCTION_LATEX.items():
        assert parse_formula(f"{name}(x)").latex == latex


# ------------------------------------------------------------------------- no eval


def test_module_never_calls_eval_exec_compile_or_sympy():
    source = Path(formula_module.__file__).read_text()
    forbidden = ("eval", "exec", "compile", "sympify", "parse_expr", "__import__", "getattr")
    pattern = re.compile(rf"(?<![\w.])({'|'.join(forbidden)})\s*\(")
    assert pattern.findall(source) == []
    assert "sympy" not in source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            assert name not in forbidden, ast.unparse(node)
            if name == "parse":  # the one use of the parser: ast.parse(..., mode="eval")
                assert ast.unparse(func) == "ast.parse"
    assert re.findall(r"\bast\.parse\(", source) == ["ast.parse("]


# ------------------------------------------------------------------------- fuzzing

TOKENS = [
    "x", "y", "pi", "e", "1", "2", "0.5", "1e3", "(", ")", "+", "-", "*", "/", "^", "**", " ",
    ",", ".", *[f"{name}(" for name in FUNCTIONS], "os", "__", "[", "]", "=", ":", "lambda",
]


def check_total(text: str) -> None:
    start = time.perf_counter()
    try:
        formula = parse_formula(text)
    except FormulaError:
        pass
    else:
        assert isinstance(formula, Formula) and isinstance(formula.latex, str)
        points = np.array([[0.0, 0.0], [-1.5, 2.0], [0.7, -0.3]])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            formula.expression(points[:, 0], points[:, 1])
            derivatives(formula.expression, points, 2)
    assert time.perf_counter() - start < 2.0  # a guard against a hang (exponential work), not a speed test


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.printable, max_size=200))
def test_random_text_is_parsed_or_rejected_cleanly(text):
    check_total(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_random_token_soup_is_parsed_or_rejected_cleanly(text):
    check_total(text)


@pytest.mark.parametrize("order", [1, 2])
def test_adding_a_constant_keeps_the_derivatives_and_broadcasts_like_the_value(order):
    """A constant moves a jet's value only; a constant of a larger shape broadcasts value and derivatives alike."""
    x, y = variables(np.array([[0.5, -2.0]]), order)
    jet = x * y
    for shifted in (jet + 3.0, 3.0 + jet, jet - 3.0, 3.0 - jet):
        np.testing.assert_array_equal(np.abs(shifted.grad), np.abs(jet.grad))
    wide = jet + np.array([[1.0], [2.0], [3.0]])  # (3, 1) against (1,): three copies
    assert wide.val.shape == (3, 1) and wide.grad.shape == (3, 1, 2)
    np.testing.assert_array_equal(wide.val[:, 0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(wide.grad[:, 0], np.broadcast_to(jet.grad[0], (3, 2)))
    if order == 2:
        assert wide.hess.shape == (3, 1, 2, 2)
