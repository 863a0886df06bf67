"""Parse a formula typed by a user into an exactly differentiable expression in ``x`` and ``y``.

Example: ``parse_formula("sin(x)*cos(y) + 0.1*(x^2 + y^2)")`` gives a :class:`Formula` whose
``expression(x, y)`` works on numpy arrays (any broadcastable shapes) and on
:class:`~surfaces.autodiff.Jet` objects, so gradients and Hessians are exact, and whose
``latex`` renders the formula for display.

Grammar: numbers, the variables ``x`` and ``y``, the constants ``pi`` and ``e``, the operators
``+ - * /`` and power written ``^`` or ``**``, unary ``-`` and ``+``, parentheses, and calls with
one argument of the functions in :data:`surfaces.autodiff.FUNCTIONS` (sin, cos, tan, exp, log,
sqrt, abs, tanh, sinh, cosh, arctan, arcsin, arccos, arcsinh, sigmoid, softplus).
Precedence is Python's: ``^`` binds tighter than unary minus, so ``-x^2`` means ``-(x^2)``,
and it groups to the right, so ``2^3^2`` means ``2^(3^2)``.

Security model. The text is untrusted: anyone who reaches the page can type it. It is never
handed to the Python interpreter, nor to any library that evaluates text. The only use of
Python's machinery is :func:`ast.parse`, which builds a syntax tree and runs nothing. Then:

1. Cheap checks on the raw text come first, so hostile input is turned away before any parsing:
   a length limit, ASCII only, no quotes (strings are never valid, and rejecting them here keeps
   the parser from warning about escape sequences), and a limit on bracket nesting (the parser
   itself recurses on brackets).
2. The tree's size and depth are measured without recursion; only then is it walked.
3. The walk is an allow-list: every node must be one of the few kinds named above, names must
   be x, y, pi, e or (as the callee of a call) a function in ``FUNCTIONS``. Anything else is
   rejected with a :class:`FormulaError` that names the construct and its 1-based column.
4. Numbers are limited in magnitude and constant exponents in size (so ``9^9^9^9`` is refused
   rather than computed). Constant parts are folded once, in float64 under
   ``np.errstate``, never with Python's arbitrary-precision integers; a constant part that is
   infinite or NaN (``1/0``, ``log(-1)``) is rejected as a mistake.
5. What runs is a tree of small Python closures, one per node, calling only numpy operators and
   ``FUNCTIONS``. Its cost is bounded by the node limit: a few array operations per node.

Points where the formula is undefined (``log`` of a negative number, division by zero) give
NaN or inf without warnings: the expression runs under ``np.errstate(all="ignore")``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from surfaces.autodiff import FUNCTIONS, Jet

__all__ = [
    "ALLOWED_NAMES",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_LITERAL",
    "MAX_NODES",
    "MAX_PAREN_DEPTH",
    "Formula",
    "FormulaError",
    "parse_formula",
]

MAX_LENGTH = 500  # characters
MAX_NODES = 200  # numbers, names, operators and calls in the tree
MAX_DEPTH = 50  # tree depth; a sum of n terms is n deep, so this allows ~45 terms
MAX_PAREN_DEPTH = 30  # brackets nested in the raw text, checked before the parser sees it
MAX_EXPONENT = 64  # largest |p| for a constant exponent p
MAX_LITERAL = 1e6  # largest number that may be written

VARIABLES = ("x", "y")
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
ALLOWED_NAMES: tuple[str, ...] = (*VARIABLES, *CONSTANTS, *FUNCTIONS)

_exp, _log = FUNCTIONS["exp"], FUNCTIONS["log"]

# A compiled subtree: a float when it does not depend on x or y, else a closure (x, y) -> value.
Term = float | Callable[[Any, Any], Any]


class FormulaError(ValueError):
    """A formula was rejected; the message says what is wrong and at which (1-based) column."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the user's ``text``, an ``expression(x, y)`` and its ``latex``."""

    text: str
    expression: Callable[[Any, Any], Any]
    latex: str


def parse_formula(text: str) -> Formula:
    """Parse ``text`` into a :class:`Formula`; raise :class:`FormulaError` if it is not allowed.

    Nothing is evaluated before every check has passed.
    """
    source = _Source.from_text(text)
    tree = source.syntax_tree()
    _check_size(tree.body, source)
    _Validator(source).check(tree.body)  # the whole allow-list, before any arithmetic
    term = _Compiler(source).root(tree.body)
    return Formula(text=text, expression=_expression(term), latex=_latex(tree.body).text)


# ------------------------------------------------------------------------- raw text


_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True)
class _Source:
    """The user's text, the text handed to the parser (``^`` spelled ``**``), and a map between."""

    original: str
    parsed: str
    origin: tuple[int, ...]  # origin[i] = index in ``original`` of ``parsed[i]``; one extra at end

    @classmethod
    def from_text(cls, text: str) -> _Source:
        if not isinstance(text, str):
            raise FormulaError(f"a formula must be text, not {type(text).__name__}")
        if len(text) > MAX_LENGTH:  # first of all, so huge input costs nothing more
            raise FormulaError(f"formula is too long: {len(text)} characters (at most {MAX_LENGTH})")
        if not text.strip():
            raise FormulaError("formula is empty: type an expression in x and y, e.g. x^2 + y^2")
        _check_characters(text)
        parsed: list[str] = []
        origin: list[int] = []
        for i, char in enumerate(text):
            piece = "**" if char == "^" else " " if char.isspace() else char
            parsed.append(piece)
            origin.extend([i] * len(piece))
        origin.append(len(text))
        return cls(text, "".join(parsed), tuple(origin))

    def column(self, offset: int) -> int:
        """1-based column in the user's text of the parser's (0-based) ``offset``."""
        return self.origin[max(0, min(offset, len(self.parsed)))] + 1

    def segment(self, node: ast.AST) -> str:
        """The user's text for ``node``."""
        start = self.origin[node.col_offset]
        end = self.origin[node.end_col_offset - 1] + 1
        return self.original[start:end]

    def syntax_tree(self) -> ast.Expression:
        try:
            return ast.parse(self.parsed, mode="eval")
        except SyntaxError as error:
            column = self.column((error.offset or 1) - 1)
            message = error.msg or "invalid syntax"
            hint = ""
            if "literal" in message:  # e.g. "2x": implicit multiplication
                hint = "; write multiplication explicitly, e.g. 2*x"
            raise FormulaError(f"syntax error at column {column}: {message}{hint}", column) from None
        except (RecursionError, MemoryError, ValueError):  # belt and braces: limits prevent these
            raise FormulaError("formula is too complex to parse") from None


def _check_characters(text: str) -> None:
    depth = 0
    for i, char in enumerate(text):
        column = i + 1
        if char == "'" or char == '"':
            raise FormulaError(f"text in quotes at column {column} is not allowed (no strings)", column)
        if char == "#":
            raise FormulaError(f"'#' at column {column} is not allowed (no comments)", column)
        if char == "\\":
            raise FormulaError(f"backslash at column {column} is not allowed", column)
        if not (char.isspace() or " " <= char <= "~"):
            raise FormulaError(
                f"character {char!r} at column {column} is not allowed: use ASCII letters, "
                "digits, spaces and + - * / ^ ( ) .",
                column,
            )
        depth += (char in _OPEN) - (char in _CLOSE)
        if depth > MAX_PAREN_DEPTH:
            raise FormulaError(
                f"parentheses nested too deeply at column {column} (at most {MAX_PAREN_DEPTH} levels)",
                column,
            )


# ------------------------------------------------------------------------- tree checks

# Leaves that carry no expression: not counted, never descended into.
_MARKERS = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def _check_size(body: ast.expr, source: _Source) -> None:
    """Bound node count and depth without recursion, so the recursive walks that follow are safe."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError(
                f"formula is too complex: more than {MAX_NODES} numbers, names and operations"
            )
        if depth > MAX_DEPTH:
            column = source.column(node.col_offset if isinstance(node, ast.expr) else 0)
            raise FormulaError(
                f"formula is nested too deeply at column {column}: more than {MAX_DEPTH} levels "
                "(functions, parentheses, and one per term of a long sum)",
                column,
            )
        stack.extend(
            (child, depth + 1)
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, _MARKERS)
        )


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {  # Pow is handled apart
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}

_OPERATOR_NAMES: dict[type, str] = {
    ast.FloorDiv: "floor division '//'",
    ast.Mod: "remainder '%'",
    ast.MatMult: "matrix product '@'",
    ast.LShift: "shift '<<'",
    ast.RShift: "shift '>>'",
    ast.BitOr: "bitwise or '|'",
    ast.BitAnd: "bitwise and '&'",
    ast.BitXor: "bitwise xor",
    ast.Not: "'not'",
    ast.Invert: "bitwise not '~'",
}

_CONSTRUCT_NAMES: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing '[...]'",
    ast.Slice: "slice",
    ast.Lambda: "lambda",
    ast.IfExp: "conditional expression (if/else)",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.List: "list '[...]'",
    ast.Tuple: "tuple (a comma outside a function call)",
    ast.Set: "set '{...}'",
    ast.Dict: "dict '{...}'",
    ast.Compare: "comparison",
    ast.BoolOp: "'and'/'or'",
    ast.NamedExpr: "assignment ':='",
    ast.Starred: "unpacking '*'",
    ast.JoinedStr: "string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class _Checker:
    """Error messages that point into the user's text."""

    def __init__(self, source: _Source) -> None:
        self.source = source

    def error(self, message: str, offset: int, tail: str = "") -> FormulaError:
        column = self.source.column(offset)
        return FormulaError(f"{message} at column {column}{tail}", column)

    def operator_offset(self, left: ast.expr, right: ast.expr) -> int:
        """Offset of the operator between two operands: the first character not space or ')'."""
        offset = left.end_col_offset
        while offset < right.col_offset and self.source.parsed[offset] in " )":
            offset += 1
        return offset


class _Validator(_Checker):
    """The allow-list: every node kind, name and number is checked; nothing is computed."""

    def check(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            self.constant(node)
        elif isinstance(node, ast.Name):
            self.name(node)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise self.error(_OPERATOR_NAMES[type(node.op)], node.col_offset, " is not allowed")
            self.check(node.operand)
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow):
                offset = self.operator_offset(node.left, node.right)
                what = _OPERATOR_NAMES[type(node.op)]
                raise self.error(what, offset, " is not allowed; use + - * / ^")
            self.check(node.left)
            self.check(node.right)
        elif isinstance(node, ast.Call):
            self.call(node)
            self.check(node.args[0])
        else:
            raise self.reject(node)

    def reject(self, node: ast.expr) -> FormulaError:
        what = _CONSTRUCT_NAMES.get(type(node), type(node).__name__)
        offset = node.col_offset
        if isinstance(node, ast.Attribute):  # point at the attribute's name, not the object
            what = f"attribute access '.{node.attr}'"
            offset = node.end_col_offset - len(node.attr)
        elif isinstance(node, ast.Compare):
            offset = self.operator_offset(node.left, node.comparators[0])
        elif isinstance(node, ast.BoolOp):
            offset = self.operator_offset(node.values[0], node.values[1])
        return self.error(what, offset, " is not allowed")

    def constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "complex number" if isinstance(value, complex) else repr(value)
            raise self.error(kind, node.col_offset, " is not allowed: only real numbers")
        literal = self.source.segment(node)
        if isinstance(value, float) and not math.isfinite(value):  # 1e999 parses as inf
            raise self.error(f"number {literal!r}", node.col_offset, " is not finite")
        if abs(value) > MAX_LITERAL:  # exact for ints of any size: no conversion, no overflow
            limit = f" is too large (at most {MAX_LITERAL:g})"
            raise self.error(f"number {literal!r}", node.col_offset, limit)

    def name(self, node: ast.Name) -> None:
        if node.id in VARIABLES or node.id in CONSTANTS:
            return
        if node.id in FUNCTIONS:
            tail = f" must be called, e.g. {node.id}(x)"
            raise self.error(f"function '{node.id}'", node.col_offset, tail)
        tail = "; allowed names: " + ", ".join(ALLOWED_NAMES)
        raise self.error(f"unknown name '{node.id}'", node.col_offset, tail)

    def call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Name):  # (x)(y), 2(x), ().__class__()
            tail = " is not allowed; write multiplication with '*'"
            raise self.error("call of something that is not a function", node.col_offset, tail)
        name = func.id
        if name in VARIABLES or name in CONSTANTS:
            tail = f" needs '*' to multiply, e.g. {name}*(...)"
            raise self.error(f"'{name}' is not a function: '{name}(...)'", func.col_offset, tail)
        if name not in FUNCTIONS:
            tail = "; allowed functions: " + ", ".join(FUNCTIONS)
            raise self.error(f"unknown function '{name}'", func.col_offset, tail)
        if node.keywords:
            offset = node.keywords[0].col_offset
            raise self.error(f"keyword argument in {name}(...)", offset, " is not allowed")
        if len(node.args) != 1:
            tail = f" takes exactly one argument, not {len(node.args)}"
            raise self.error(f"{name}(...)", node.col_offset, tail)


class _Compiler(_Checker):
    """Turns a validated tree into a :data:`Term`, folding constant parts as it goes."""

    def root(self, node: ast.expr) -> Term:
        term = self.build(node)
        self.finite(term, node)
        return term

    def finite(self, term: Term, node: ast.expr) -> None:
        """A constant part must be a finite number: ``1/0`` or ``log(-1)`` is surely a mistake."""
        if isinstance(term, float) and not math.isfinite(term):
            part = f"constant part {self.source.segment(node)!r}"
            raise self.error(part, node.col_offset, f" is {term}")

    def build(self, node: ast.expr) -> Term:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            return _x if node.id == "x" else _y
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            if isinstance(operand, float):
                return -operand
            return lambda x, y: -operand(x, y)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)  # validated
            fn = FUNCTIONS[node.func.id]
            argument = self.build(node.args[0])
            if isinstance(argument, float):
                return _fold(fn, argument)
            return lambda x, y: fn(argument(x, y))
        assert isinstance(node, ast.BinOp)
        if isinstance(node.op, ast.Pow):
            return self.power(node)
        return self.binary(_BINARY[type(node.op)], node)

    def binary(self, fn: Callable[[Any, Any], Any], node: ast.BinOp) -> Term:
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(left, float) and isinstance(right, float):
            return _fold(fn, left, right)
        self.finite(left, node.left)
        self.finite(right, node.right)
        if isinstance(left, float):
            return lambda x, y: fn(left, right(x, y))
        if isinstance(right, float):
            return lambda x, y: fn(left(x, y), right)
        return lambda x, y: fn(left(x, y), right(x, y))

    def power(self, node: ast.BinOp) -> Term:
        base, exponent = self.build(node.left), self.build(node.right)
        if isinstance(exponent, float):
            self.finite(exponent, node.right)
            if abs(exponent) > MAX_EXPONENT:  # checked before anything is raised to it
                part = f"exponent {self.source.segment(node.right)!r} (= {exponent:g})"
                limit = f"[-{MAX_EXPONENT}, {MAX_EXPONENT}]"
                tail = f" is too large: constant exponents must lie in {limit}"
                raise self.error(part, node.right.col_offset, tail)
            if isinstance(base, float):
                return _fold(operator.pow, base, exponent)
            # A Python float exponent lets Jet use its constant-power rule.
            return lambda x, y: base(x, y) ** exponent
        # A variable exponent: a^b = exp(b log a) on arrays and jets alike, so values and
        # derivatives agree (NaN where a < 0), and the cost is two elementwise functions.
        if isinstance(base, float):
            self.finite(base, node.left)
            if base < 0:
                part = f"negative base {self.source.segment(node.left)!r}"
                raise self.error(part, node.left.col_offset, " cannot be raised to a variable power")
            log_base = _fold(_log, base)
            return lambda x, y: _exp(exponent(x, y) * log_base)
        return lambda x, y: _exp(exponent(x, y) * _log(base(x, y)))


def _x(x: Any, y: Any) -> Any:
    return x


def _y(x: Any, y: Any) -> Any:
    return y


def _fold(fn: Callable[..., Any], *args: float) -> float:
    """A constant part, computed once in float64: overflow gives inf, never an exception."""
    with np.errstate(all="ignore"):
        return float(fn(*(np.float64(a) for a in args)))


def _expression(term: Term) -> Callable[[Any, Any], Any]:
    """The public ``expression(x, y)``: arrays or jets in, value out, no warnings."""
    if isinstance(term, float):

        def constant(x: Any, y: Any) -> Any:
            if isinstance(x, Jet) or isinstance(y, Jet):
                return term  # ``derivatives`` lifts it to a jet with zero derivatives
            return np.full(np.broadcast_shapes(np.shape(x), np.shape(y)), term)

        return constant

    def expression(x: Any, y: Any) -> Any:
        # Arrays (even 0-d) rather than Python scalars: 1.0/0.0 raises, array division does not.
        x = x if isinstance(x, Jet) else np.asarray(x, dtype=float)
        y = y if isinstance(y, Jet) else np.asarray(y, dtype=float)
        with np.errstate(all="ignore"):
            out = term(x, y)
        if out is x or out is y:  # the formula "x": never hand back the caller's own array
            out = out.copy() if isinstance(out, np.ndarray) else out
        return out

    return expression


# ------------------------------------------------------------------------- LaTeX

# Precedence of a rendered piece, loosest first; a child looser than its context gets parentheses.
_ADD, _NEG, _MUL, _POW, _ATOM = range(5)

_STANDARD_FUNCTIONS = {
    "sin", "cos", "tan", "exp", "log", "tanh", "sinh", "cosh", "arctan", "arcsin", "arccos",
}
_NAME_LATEX = {"pi": r"\pi"}


def _parens(text: str) -> str:
    return rf"\left({text}\right)"


class _Piece(NamedTuple):
    """Rendered LaTeX, its precedence, and whether it may stand as a coefficient (2, x, x^2)."""

    text: str
    prec: int
    coefficient: bool = False


def _latex(node: ast.expr) -> _Piece:
    """LaTeX for an allow-listed tree, with as few parentheses as precedence allows."""
    if isinstance(node, ast.Constant):
        text, prec = _latex_number(float(node.value))
        return _Piece(text, prec, coefficient=prec >= _POW)  # 2 x, 10^{-5} x
    if isinstance(node, ast.Name):
        return _Piece(_NAME_LATEX.get(node.id, node.id), _ATOM, coefficient=True)
    if isinstance(node, ast.UnaryOp):
        operand = _latex(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        return _Piece("-" + _operand(operand, _NEG + 1), _NEG, operand.coefficient)  # -2 x
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return _Piece(_latex_call(node.func.id, _latex(node.args[0]).text), _ATOM)
    assert isinstance(node, ast.BinOp)
    left, right = _latex(node.left), _latex(node.right)
    if isinstance(node.op, ast.Div):
        return _Piece(rf"\frac{{{left.text}}}{{{right.text}}}", _MUL)
    if isinstance(node.op, ast.Pow):  # the exponent is braced; the base must be an atom
        simple_base = left.coefficient and left.prec == _ATOM  # x^2, 3^x; not (2 x)^2
        return _Piece(f"{_operand(left, _ATOM)}^{{{right.text}}}", _POW, simple_base)
    if isinstance(node.op, ast.Mult):
        a = _parens(left.text) if left.prec < _NEG else left.text  # "-a \cdot b" is (-a) b
        b = _operand(right, _MUL)
        if left.coefficient and (b[0].isalpha() or b[0] == "\\"):  # 2 x, x \sin(y), 2 (x + 1)
            return _Piece(f"{a} {b}", _MUL, coefficient=right.coefficient)
        return _Piece(rf"{a} \cdot {b}", _MUL)
    if isinstance(node.op, ast.Add):
        return _Piece(f"{left.text} + {_operand(right, _ADD)}", _ADD)
    return _Piece(f"{left.text} - {_operand(right, _NEG + 1)}", _ADD)  # a - (b + c), a - (-b)


def _operand(piece: _Piece, needed: int) -> str:
    """Parenthesize a piece looser than ``needed``, or one that starts with a minus sign."""
    return _parens(piece.text) if piece.prec < needed or piece.text.startswith("-") else piece.text


def _latex_number(value: float) -> tuple[str, int]:
    if value.is_integer():
        return str(int(value)), _ATOM
    text = repr(value)  # the shortest string that round-trips: 0.1, not 0.1000000000000000055
    if "e" not in text:
        return text, _ATOM
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    if mantissa == "1":
        return power, _POW
    return rf"{mantissa} \cdot {power}", _MUL


def _latex_call(name: str, argument: str) -> str:
    if name == "sqrt":
        return rf"\sqrt{{{argument}}}"
    if name == "abs":
        return rf"\left|{argument}\right|"
    command = f"\\{name}" if name in _STANDARD_FUNCTIONS else rf"\operatorname{{{name}}}"
    return rf"{command}\left({argument}\right)"
