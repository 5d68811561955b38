"""Reading expression text: the one parse into a Python syntax tree, its limits, and literals.

The compiler, lint and explain all read an expression as this module does: the text
trimmed, its line breaks turned into spaces, parsed with :mod:`ast` in ``eval`` mode.
Errors point at the file location of the offending character where the text maps onto
the file one-to-one (see :class:`salesrules.model.sections.Expr`), else at the expression.
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
import warnings
from dataclasses import dataclass
from typing import Any

from ..errors import ExpressionError, Loc
from ..model.sections import Expr
from .functions import NO_LITERAL
from .messages import quote_at

MAX_LENGTH = 4000
MAX_NODES = 1000
MAX_DEPTH = 60

# The names that are values, not fields.
CONSTANTS = {"true": True, "false": False, "True": True, "False": False, "null": None, "None": None}


def literal(node: ast.AST) -> Any:
    """The Python value of a literal (``'a'``, ``-3``, ``true``, ``null``...), else :data:`NO_LITERAL`."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    return NO_LITERAL


def flat(text: str) -> str:
    """The text that is parsed: trimmed, line breaks as spaces.

    A condition may span lines (a YAML block scalar): joined with spaces, it parses without
    parentheses and every column keeps its place.
    """
    return text.strip().replace("\r", " ").replace("\n", " ")


@dataclass(frozen=True)
class Parsed:
    """A parsed expression: its syntax tree and what maps the tree's positions onto the file."""

    source: Expr
    tree: ast.Expression
    flat: str  # the text parsed (see :func:`flat`)
    stripped: str  # the source text trimmed, line breaks kept
    lead: int  # how many characters the trimming took from the start

    def loc(self, node: ast.AST | None = None) -> Loc | None:
        """The file location of ``node`` (exact on the expression's first line), else of the expression."""
        if node is None:
            return self.source.loc
        # ast columns count UTF-8 bytes, file columns count characters.
        col = len(self.flat.encode()[: getattr(node, "col_offset", 0)].decode("utf-8", "replace"))
        return _loc_at(self.source, self.stripped, self.lead, col)

    def text(self, node: ast.AST) -> str:
        """The source text of ``node``."""
        return ast.get_source_segment(self.flat, node) or ast.unparse(node)


def _loc_at(source: Expr, stripped: str, lead: int, col: int) -> Loc | None:
    """The file location of character ``col`` of the stripped text: exact on its first line only."""
    loc = source.loc
    if loc is None:
        return None
    if source.exact and loc.col is not None and col <= len(stripped.split("\n", 1)[0]):
        return Loc(loc.file, loc.line, loc.col + lead + col)
    return loc


def parse(source: Expr, *, limits: bool = True) -> Parsed:
    """Parse ``source``; an :class:`ExpressionError` when it is empty or not valid syntax.

    With ``limits``, also when it is longer than :data:`MAX_LENGTH` characters, has more than
    :data:`MAX_NODES` parts or is nested more than :data:`MAX_DEPTH` levels deep.
    """
    text = source.text
    if limits and len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters", source.loc)
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("empty expression", source.loc)
    lead = len(text) - len(text.lstrip())
    parsed_text = flat(text)
    colons = qualifying_colons(parsed_text)
    readable = "".join("_" if i in colons else c for i, c in enumerate(parsed_text)) if colons else parsed_text
    try:
        # Python's warnings (e.g. the invalid escape in '\\d+') are no concern of a ruleset, and
        # under -W error they would turn a valid expression into a syntax error.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(readable, mode="eval")
    except SyntaxError as exc:
        # Python reports some errors at the end of the input with offset 0: point at the end.
        col = exc.offset - 1 if exc.offset and (exc.lineno or 1) == 1 else len(parsed_text)
        raise ExpressionError(f"syntax error in expression: {exc.msg}, {quote_at(parsed_text, col)}",
                              _loc_at(source, stripped, lead, col)) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is nested too deeply", source.loc) from None
    except ValueError as exc:
        raise ExpressionError(f"syntax error in expression: {exc}", source.loc) from None
    if colons:
        _qualify(tree, parsed_text, colons)
    if limits:
        _check_size(tree, source)
    return Parsed(source, tree, parsed_text, stripped, lead)


def qualifying_colons(text: str) -> set[int]:
    """The places of the ``:`` that join a plugin's name to a name it provides, as in
    ``insurance:loss_ratio``: a colon between two names, with no space on either side, outside
    strings, subscripts and ``{}`` (slices, dictionaries). Python has no such syntax
    elsewhere, so no valid expression changes meaning; an expression with a ``lambda`` keeps its
    colons, to be refused as a lambda."""
    if ":" not in text:  # most expressions: nothing to tokenize
        return set()
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return set()
    if any(t.type == tokenize.NAME and t.string == "lambda" for t in tokens):
        return set()
    found, closed = set(), []  # closed: for each open bracket, whether a colon there is Python's
    for i, token in enumerate(tokens):
        previous = tokens[i - 1] if i else None
        if token.type == tokenize.OP and token.string in "([{":
            subscript = token.string == "[" and previous is not None and (
                previous.string in (")", "]") or previous.type == tokenize.STRING
                or (previous.type == tokenize.NAME and not keyword.iskeyword(previous.string)))
            closed.append(token.string == "{" or subscript)
        elif token.type == tokenize.OP and token.string in ")]}":
            closed = closed[:-1]
        elif (token.type == tokenize.OP and token.string == ":" and not any(closed)
              and 0 < i < len(tokens) - 1):
            before, after = tokens[i - 1], tokens[i + 1]
            if (before.type == after.type == tokenize.NAME and before.end == token.start and token.end == after.start
                    and not keyword.iskeyword(before.string) and not keyword.iskeyword(after.string)):
                found.add(token.start[1])
    return found


def _qualify(tree: ast.AST, text: str, colons: set[int]) -> None:
    """Give the names parsed with a ``_`` in place of a qualifying colon their written name."""
    encoded = text.encode()
    places = {len(text[:i].encode()) for i in colons}  # ast positions count UTF-8 bytes
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and any(node.col_offset < p < (node.end_col_offset or 0) for p in places):
            node.id = encoded[node.col_offset:node.end_col_offset].decode()


def _check_size(tree: ast.AST, source: Expr) -> None:
    count = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} parts", source.loc)
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested more than {MAX_DEPTH} levels deep", source.loc)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _tree(text: str) -> ast.Expression | None:
    """The syntax tree of ``text``, None when it does not parse."""
    try:
        return parse(Expr(text), limits=False).tree
    except ExpressionError:
        return None


def referenced_names(text: str) -> list[str]:
    """The names an expression reads, in order of appearance (not functions nor constants)."""
    tree = _tree(text)
    if tree is None:
        return []
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called and n.id not in CONSTANTS]
    names.sort(key=lambda n: (n.lineno, n.col_offset))
    seen: list[str] = []
    for n in names:
        if n.id not in seen:
            seen.append(n.id)
    return seen


def condition_parts(text: str) -> list[str]:
    """A condition split on its top-level ``and``: the texts of the parts that must all hold."""
    whole = flat(text)
    tree = _tree(whole)
    if tree is None or not (isinstance(tree.body, ast.BoolOp) and isinstance(tree.body.op, ast.And)):
        return [whole]
    # Split the text at the ``and`` keywords outside brackets, so every part keeps its own
    # parentheses (ast positions leave out the brackets around an operand).
    parts, depth, start = [], 0, 0
    lines = [0]
    for line in io.StringIO(whole).readlines():
        lines.append(lines[-1] + len(line))
    try:
        for token in tokenize.generate_tokens(io.StringIO(whole).readline):
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth -= 1
            elif token.type == tokenize.NAME and token.string == "and" and depth == 0:
                offset = lines[token.start[0] - 1] + token.start[1]
                parts.append(whole[start:offset].strip())
                start = lines[token.end[0] - 1] + token.end[1]
    except (tokenize.TokenError, IndentationError):
        parts = None
    if parts is not None:
        parts.append(whole[start:].strip())
        if len(parts) == len(tree.body.values) and all(parts):
            return parts
    return [ast.get_source_segment(whole, node) or ast.unparse(node) for node in tree.body.values]
