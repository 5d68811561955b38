"""Safe YAML loading that remembers where every value came from.

Only the YAML 1.2 core schema is resolved: ``true``/``false`` are the only booleans (so
``no``, ``on``, ``y`` and the country code ``NO`` stay strings), there are no sexagesimal
numbers, and no object or custom tags (nor ``!!binary``, ``!!set``, ``!!omap``); an explicit
core tag must fit its value (``!!bool yes`` is an error). A duplicate key is an error. Alias
expansion and nesting depth are bounded so a "billion laughs" or ``[[[[...`` document cannot
exhaust memory or the stack. Mappings and sequences come back as
:class:`YDict` and :class:`YList` and strings as :class:`YStr`, each carrying a
:class:`~salesrules.errors.Loc`.
"""

from __future__ import annotations

import math
import re

import yaml
import yaml.reader
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..errors import Loc, RulesetError
from ..model.dates import parse_date
from .located import YDict, YList, YStr

MAX_NODES = 200_000
MAX_BYTES = 10_000_000
MAX_DEPTH = 100


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core resolvers, located containers and duplicate-key errors."""

    yaml_implicit_resolvers: dict = {}
    depth = 0
    composed = 0

    def compose_node(self, parent, index):
        """Compose one node, refusing documents nested deeper than ``MAX_DEPTH`` or with
        more than ``MAX_NODES`` nodes (counted as they are read, so a huge document stops early).

        PyYAML composes and constructs recursively, so very deep nesting such as
        ``[[[[...]]]]`` would otherwise end in a slow ``RecursionError``.
        """
        self.depth += 1
        self.composed += 1
        try:
            if self.depth > MAX_DEPTH:
                raise RulesetError(f"YAML is nested more than {MAX_DEPTH} levels deep", _loc(self, self.peek_event()))
            if self.composed > MAX_NODES:
                raise RulesetError(f"document has more than {MAX_NODES:,} values", _loc(self, self.peek_event()))
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# The pattern each scalar tag's text must match, implicitly (plain scalars) or explicitly (``!!int``).
_PATTERNS: dict[str, re.Pattern] = {}


def _resolver(tag, pattern, first):
    _PATTERNS[tag] = re.compile(pattern, re.X)
    _Loader.add_implicit_resolver(tag, _PATTERNS[tag], list(first))


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver(
    "tag:yaml.org,2002:int",
    r"^(?:[-+]?[0-9][0-9_]*|0o[0-7][0-7_]*|0x[0-9a-fA-F][0-9a-fA-F_]*)$",
    "-+0123456789",
)
_resolver(
    "tag:yaml.org,2002:float",
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    "-+0123456789.",
)
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_resolver("tag:yaml.org,2002:timestamp", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "0123456789")


def _loc(loader, node) -> Loc:
    """Where a node (or an event) starts in the file the loader reads."""
    mark = node.start_mark
    return Loc(loader.source_name, mark.line + 1, mark.column + 1)


def _scalar_text(loader, node, tag: str, kind: str) -> str:
    """The text of a scalar node, checked against the pattern of ``tag``.

    Implicitly resolved scalars always match; an explicit tag such as ``!!bool yes`` or
    ``!!int abc`` does not and is an error instead of a silently wrong value.
    """
    if not isinstance(node, ScalarNode):
        raise RulesetError(f"YAML tag {node.tag!r} needs a single value", _loc(loader, node))
    text = loader.construct_scalar(node)
    if not _PATTERNS[tag].match(text):
        raise RulesetError(f"{text!r} is not {kind}", _loc(loader, node))
    return text


def _construct_bool(loader, node):
    return _scalar_text(loader, node, "tag:yaml.org,2002:bool", "a boolean (true or false)") in ("true", "True", "TRUE")


def _construct_null(loader, node):
    _scalar_text(loader, node, "tag:yaml.org,2002:null", "null")
    return None


def _construct_float(loader, node):
    """A finite number: ``.inf``, ``.nan`` and numbers beyond the largest float (``1e999``) are errors.

    No setting of a ruleset means anything as infinity or NaN (a NaN probability passes every
    range check, an infinite one breaks every sum), so they are refused where they are written.
    """
    text = _scalar_text(loader, node, "tag:yaml.org,2002:float", "a number")
    value = loader.construct_yaml_float(node)
    if math.isnan(value):
        raise RulesetError(f"{text} is not a number a ruleset can use (write a number, or quote it if it is text)",
                           _loc(loader, node))
    if math.isinf(value):
        raise RulesetError(f"{text} is beyond ±1.8e308, the largest number, and cannot be represented "
                           "(quote it if it is text)", _loc(loader, node))
    return value


def _construct_date(loader, node):
    """An ISO date (YYYY-MM-DD); an impossible one such as 2026-02-30 is an error."""
    text = _scalar_text(loader, node, "tag:yaml.org,2002:timestamp", "a date (YYYY-MM-DD)")
    try:
        return parse_date(text)
    except ValueError:
        raise RulesetError(f"{text!r} is not a valid date", _loc(loader, node)) from None


def _construct_int(loader, node):
    text = _scalar_text(loader, node, "tag:yaml.org,2002:int", "an integer").replace("_", "")
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _construct_str(loader, node):
    value = YStr(loader.construct_scalar(node))
    value.loc = _loc(loader, node)
    surrogate = re.search("[\ud800-\udfff]", value)
    if surrogate:  # a "\ud800" escape: half of a UTF-16 pair, no character of any text
        raise RulesetError(f"text holds a lone surrogate \\u{ord(surrogate.group()):04x}, which is no character", value.loc)
    value.style = node.style
    # Offsets inside the text match file columns only on one line, with no escapes or folding.
    raw_len = node.end_mark.index - node.start_mark.index
    quotes = 2 if node.style in ("'", '"') else 0
    value.exact = (
        node.style in (None, "'", '"')
        and node.start_mark.line == node.end_mark.line
        and raw_len == len(value) + quotes
    )
    return value


def _construct_mapping(loader, node):
    if not isinstance(node, MappingNode):
        raise ConstructorError(None, None, "expected a mapping", node.start_mark)
    loader.flatten_mapping(node)
    result = YDict()
    result.loc = _loc(loader, node)
    result.key_locs, result.value_locs = {}, {}
    yield result
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise RulesetError("a mapping key must be a plain value", _loc(loader, key_node))
        if key in result:
            first = result.key_locs[key]
            raise RulesetError(
                f"duplicate key {key!r} (first defined at line {first.line})", _loc(loader, key_node)
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_locs[key] = _loc(loader, key_node)
        result.value_locs[key] = _loc(loader, value_node)


def _construct_sequence(loader, node):
    if not isinstance(node, SequenceNode):
        raise ConstructorError(None, None, "expected a sequence", node.start_mark)
    result = YList()
    result.loc = _loc(loader, node)
    result.item_locs = [_loc(loader, child) for child in node.value]
    yield result
    result.extend(loader.construct_object(child, deep=True) for child in node.value)


def _reject_tag(loader, tag_suffix, node):
    raise RulesetError(f"YAML tag {node.tag!r} is not allowed", _loc(loader, node))


_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:null", _construct_null)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_date)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_multi_constructor("", _reject_tag)
# YAML 1.1 types outside JSON's data model (bytes, sets, ordered pairs) are not accepted either.
for _tag in ("binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", lambda loader, node: _reject_tag(loader, None, node))
_Loader.add_constructor(None, lambda loader, node: _reject_tag(loader, None, node))


def _count_nodes(node, limit: int) -> int:
    """Nodes in the tree with aliases expanded, stopping once past ``limit``."""
    seen = 0
    stack = [node]
    while stack:
        current = stack.pop()
        seen += 1
        if seen > limit:
            return seen
        if isinstance(current, SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, MappingNode):
            for key, value in current.value:
                stack.append(key)
                stack.append(value)
    return seen


def load_yaml(text: str, source: str):
    """Parse one YAML document from ``text``; errors name ``source`` with line and column."""
    _check_size(text, source)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, source) from None
    loader.source_name = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _count_nodes(node, MAX_NODES) > MAX_NODES:
            raise RulesetError(
                f"document expands to more than {MAX_NODES:,} values (too many aliases?)",
                _loc(loader, node),
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and problem.startswith("but "):  # "but found another document"
            problem = f"{exc.context}, {problem}"
        if "\t" in problem or "found character '\\t'" in problem:
            problem = "tab characters cannot indent YAML; use spaces"
        loc = Loc(source, mark.line + 1, mark.column + 1) if mark else Loc(source)
        raise RulesetError(f"YAML syntax error: {problem}", loc) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, source) from None
    except yaml.YAMLError as exc:
        raise RulesetError(f"YAML error: {' '.join(str(exc).split())}", Loc(source)) from None
    finally:
        loader.dispose()


def _check_size(text: str, source: str) -> None:
    """Refuse a document over ``MAX_BYTES`` (UTF-8), pointing at the place where it passes the limit."""
    if len(text) <= MAX_BYTES // 4:  # cannot be over the limit: a character is at most 4 bytes
        return
    if len(text) > MAX_BYTES:
        position = MAX_BYTES
    else:
        encoded = text.encode("utf-8", "surrogatepass")
        if len(encoded) <= MAX_BYTES:
            return
        position = len(encoded[:MAX_BYTES].decode("utf-8", "ignore"))
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    raise RulesetError(
        f"file is larger than {MAX_BYTES:,} bytes, the limit for a ruleset (it passes the limit here)",
        Loc(source, line, col),
    )


def _reader_error(exc, text: str, source: str) -> RulesetError:
    """A one-line, located error for a character YAML does not allow (a NUL, a control character)."""
    position = exc.position if isinstance(exc.position, int) else 0
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return RulesetError(
        f"YAML syntax error: character U+{ord(char):04X} is not allowed in YAML text", Loc(source, line, col)
    )
