"""Hostile text in values: what a prospect file or a ruleset holds reaches every output as text.

A value may look like a spreadsheet formula, a link, a terminal escape sequence or markup; in
the key, the input columns (``--with-input``), the column names, and the reasons and actions
built from templates. Every output shows it as the literal text it is.
"""

from __future__ import annotations

import csv
import io
import re
import shlex
import zipfile
from html.parser import HTMLParser

import polars as pl
from click.testing import CliRunner
from hostile_helpers import AS_OF, run
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrules.cli import cli
from salesrules.errors import (
    ErrorList,
    InputError,
    Loc,
    PluginError,
    RulesetError,
    printable,
    shown,
)
from salesrules.io.outputs import OutputContext
from salesrules.loader.load import check_requirements
from salesrules.plugins import get_registry

PROVENANCE = {"ruleset": "r", "ruleset_version": "1", "ruleset_hash": "h", "as_of": "2026-11-22"}

# Text that starts, often, with what a spreadsheet reads as a formula; and numbers as text.
leading = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "", "a", " "])
texts = st.builds(lambda first, rest: first + rest, leading, st.text(max_size=12)).filter(bool)
numbers_as_text = st.builds(str, st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False))
cells = texts | numbers_as_text

# A ruleset whose reasons, actions and gaps quote the company, as templates do.
TEMPLATED = """\
salesrules: 1
name: templated
version: "1"
fields:
  id: {type: string, key: true}
  amount: {type: money}
  company: {type: string}
  delta: {type: number}
tiers:
  - {name: high, when: "amount > 1000", points: 50}
  - {name: low, points: 10}
factors:
  - {name: big, when: "amount > 0", points: 10, reason: "Big {company}"}
actions:
  - {name: call, when: "amount > 0", text: "Call {company}"}
"""

FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=2+2",
    "\r=3+3",
    "http://evil.example/x",
]
# A column name is data too. (Not one with a doubled quote: polars keeps "" in a header.)
HEADER = "=cmd|' /C calc'!A0"


def hostile_file(ws, values, header="note"):
    """A data file with one record per value: in the key, the company, and a column ``header``."""
    frame = pl.DataFrame({
        "id": values,
        "amount": [str(5000 + i) for i in range(len(values))],
        "company": values,
        "delta": ["-3"] * len(values),
        header: values,
    })
    path = ws.root / "hostile.csv"
    frame.write_csv(path)
    return path


def evaluate(ws, data, out, *extra, ruleset=TEMPLATED):
    rules = ws.write("templated.yaml", ruleset)
    outcome = run("evaluate", data, "-r", rules, "-o", out, "--as-of", AS_OF, "--with-input", *extra)
    assert outcome.code == 0, outcome.output
    return outcome


# --- xlsx ------------------------------------------------------------------------------------


def sheets_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))


def test_xlsx_writes_formulas_and_links_as_text(ws):
    data = hostile_file(ws, FORMULAS, header=HEADER)
    out = ws.root / "out.xlsx"
    evaluate(ws, data, out, "--sort", "input")
    xml = sheets_xml(out)
    assert "<f>" not in xml and "<hyperlink" not in xml.lower()
    sheet = pl.read_excel(out, sheet_name="results")
    trimmed = [v.strip() for v in FORMULAS]  # fields are read trimmed; input columns are as they came
    assert sheet["id"].to_list() == trimmed
    assert sheet[HEADER].to_list() == FORMULAS
    assert sheet["company"].to_list() == FORMULAS
    assert sheet["reasons"].to_list() == [f"Big {v}" for v in trimmed]
    assert sheet["actions"].to_list() == [f"Call {v}" for v in trimmed]
    assert sheet["delta"].to_list() == ["-3"] * len(FORMULAS)  # input text stays text


def test_xlsx_writes_a_ruleset_s_formula_like_text_as_text(ws):
    ruleset = TEMPLATED.replace('"Big {company}"', '"=1+2"').replace('version: "1"', 'version: "=3+4"')
    data = hostile_file(ws, ["A-1"])
    out = ws.root / "out.xlsx"
    evaluate(ws, data, out, ruleset=ruleset)
    assert "<f>" not in sheets_xml(out)
    assert pl.read_excel(out, sheet_name="results")["reasons"].to_list() == ["=1+2"]
    provenance = dict(pl.read_excel(out, sheet_name="provenance").rows())
    assert provenance["ruleset_version"] == "=3+4"


def test_xlsx_keeps_numbers_as_numbers(ws):
    data = hostile_file(ws, ["A-1"])
    out = ws.root / "out.xlsx"
    evaluate(ws, data, out)
    xml = sheets_xml(out)
    column = "ABCDEFGHIJ"[pl.read_excel(out, sheet_name="results").columns.index("score")]
    assert re.search(rf'<c r="{column}2"[^>]*><v>60</v></c>', xml), "the score is a number cell"


# --- csv -------------------------------------------------------------------------------------

PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def expected_cell(value: str) -> str:
    """What a text cell must read: a leading quote before anything a spreadsheet would run."""
    if value[:1] and value[0] in "=+-@\t\r" and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def read_back(path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def test_csv_neutralises_every_text_column(ws):
    data = hostile_file(ws, FORMULAS, header=HEADER)
    out = ws.root / "out.csv"
    evaluate(ws, data, out)
    table = read_back(out)
    trimmed = [v.strip() for v in FORMULAS]
    assert table["id"].to_list() == [expected_cell(v) for v in trimmed]
    assert table["input.id"].to_list() == [expected_cell(v) for v in FORMULAS]
    assert table["company"].to_list() == [expected_cell(v) for v in FORMULAS]
    assert table[expected_cell(HEADER)].to_list() == [expected_cell(v) for v in FORMULAS]
    assert table["reasons"].to_list() == [f"Big {v}" for v in trimmed]  # starts with a letter: safe
    assert table["delta"].to_list() == ["-3"] * len(FORMULAS)  # a plain number is not a formula
    assert table["score"].to_list() == ["60"] * len(FORMULAS)


def test_csv_neutralises_text_a_ruleset_builds(ws):
    ruleset = (
        TEMPLATED.replace('"Big {company}"', '"{company}"')
        .replace('"Call {company}"', '"@{company}"')
        .replace('version: "1"', 'version: "=3+4"')
        .replace('name: templated', 'name: "-templated"')
    )
    data = hostile_file(ws, ["=1+2", "plain"])
    out = ws.root / "out.csv"
    evaluate(ws, data, out, ruleset=ruleset)
    table = read_back(out)
    assert table["reasons"].to_list() == ["'=1+2", "plain"]
    assert table["actions"].to_list() == ["'@=1+2", "'@plain"]
    assert table["ruleset"].to_list() == ["'-templated"] * 2
    assert table["ruleset_version"].to_list() == ["'=3+4"] * 2


def test_csv_raw_keeps_text_as_it_is(ws):
    data = hostile_file(ws, FORMULAS, header=HEADER)
    out = ws.root / "out.csv"
    evaluate(ws, data, out, "--csv-raw")
    table = read_back(out)
    assert table["company"].to_list() == FORMULAS
    assert table[HEADER].to_list() == FORMULAS


def test_csv_rejects_file_is_neutralised_too(ws):
    data = ws.write("bad.csv", "id,amount,company\n=1+1,=2+2,x\nA-2,10,@y\n")
    out = ws.root / "out.csv"
    evaluate(ws, data, out, "--on-error", "skip")
    rejects = read_back(ws.root / "out.rejects.csv")
    assert rejects["id"].to_list() == ["'=1+1"]
    assert rejects["amount"].to_list() == ["'=2+2"]
    assert read_back(out)["company"].to_list() == ["'@y"]


@st.composite
def frames(draw):
    """A results-like frame: text, lists of text, negative numbers, hostile column names."""
    rows = draw(st.integers(1, 8))
    fixed = {"id", "reasons", "score", "probability", *PROVENANCE}
    names = draw(st.lists(texts, min_size=2, max_size=2, unique_by=expected_cell).filter(
        lambda n: not {*n, *map(expected_cell, n)} & fixed and expected_cell(n[0]) != n[1] and expected_cell(n[1]) != n[0]
    ))
    return pl.DataFrame(
        {
            "id": draw(st.lists(cells, min_size=rows, max_size=rows)),
            "reasons": draw(st.lists(st.lists(texts, min_size=1, max_size=3), min_size=rows, max_size=rows)),
            "score": draw(st.lists(st.integers(-1000, 1000), min_size=rows, max_size=rows)),
            "probability": draw(st.lists(st.floats(-1, 1), min_size=rows, max_size=rows)),
            names[0]: draw(st.lists(cells, min_size=rows, max_size=rows)),
            names[1]: draw(st.lists(texts, min_size=rows, max_size=rows)),
        },
        schema_overrides={"reasons": pl.List(pl.String)},
    ).with_columns(pl.col(names[1]).cast(pl.Categorical))


def csv_bytes(frame, lazy: bool, raw: bool = False) -> bytes:
    writer = get_registry().output_formats["csv"]
    stream = io.BytesIO()
    context = OutputContext(dict(PROVENANCE), "id", csv_raw=raw)
    if lazy:
        writer.sink(frame.lazy(), stream, context)
    else:
        writer.write(frame, stream, context)
    return stream.getvalue()


def parsed(data: bytes) -> pl.DataFrame:
    """CSV bytes read as a spreadsheet would, every cell text ('' when empty)."""
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    return pl.DataFrame([list(r) for r in rows], schema={n: pl.String for n in header}, orient="row")


@settings(max_examples=150, deadline=None)
@given(frames())
def test_every_text_cell_read_back_from_csv_is_neutralised(frame):
    written = csv_bytes(frame, lazy=False)
    assert csv_bytes(frame, lazy=True) == written  # the streaming sink writes the same file
    table = parsed(written)
    names = frame.columns
    assert table.columns == [expected_cell(n) for n in names] + list(PROVENANCE)
    for name in names:
        column = table[expected_cell(name)].to_list()
        if name == "reasons":
            assert column == [expected_cell("; ".join(v)) for v in frame[name].to_list()]
        elif frame[name].dtype.is_numeric():  # negative numbers stay numbers
            assert [float(v) for v in column] == frame[name].cast(pl.Float64).to_list()
        else:
            assert column == [expected_cell(v) for v in frame[name].cast(pl.String).to_list()]
    for cell in (c for row in table.iter_rows() for c in row):
        assert not (cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not PLAIN_NUMBER.fullmatch(cell)), cell


@settings(max_examples=60, deadline=None)
@given(frames())
def test_csv_raw_writes_every_text_as_it_is(frame):
    table = parsed(csv_bytes(frame, lazy=True, raw=True))
    assert table.columns == frame.columns + list(PROVENANCE)
    assert table["id"].to_list() == frame["id"].to_list()


def test_a_neutralised_column_name_never_takes_another_column_s_name():
    frame = pl.DataFrame({"=a": ["x"], "'=a": ["y"]})
    assert parsed(csv_bytes(frame, lazy=True)).columns == ["''=a", "'=a", *PROVENANCE]


# --- terminals -------------------------------------------------------------------------------

ESCAPES = [
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b[31mred\x1b[0m",  # colours
    "\x1b]0;title\x07",  # window title
    "\x1b]52;c;ZXZpbA==\x07",  # write the clipboard
    "\x9b31m",  # CSI as one C1 character
    "a\u202eevil\u202c",  # right-to-left override
    "\u2066isolate\u2069\u200f",
    "bell\x07back\x08space\x7f",
    "line\rover",
]
# Any text, often with escape sequences and control characters in it.
terminal_texts = st.lists(st.characters(codec="utf-8") | st.sampled_from(ESCAPES), max_size=12).map("".join)
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def table_text(frame, context) -> str:
    stream = io.StringIO()
    get_registry().output_formats["table"].write(frame, stream, context)
    return stream.getvalue()


def test_the_table_shows_no_control_character_from_the_data(ws):
    values = [f"R-{i} {v}" for i, v in enumerate(ESCAPES)]
    data = hostile_file(ws, values, header="note\x1b[2J")
    ruleset = ws.write("templated.yaml", TEMPLATED.replace('name: templated', 'name: "t\\e[2J"'))
    outcome = run("evaluate", data, "-r", ruleset, "-f", "table", "--as-of", AS_OF)
    assert outcome.code == 0, outcome.output
    assert not CONTROL.search(outcome.stdout), repr(outcome.stdout)
    assert "R-0 \ufffd[2J\ufffd[H" in outcome.stdout  # shown, not acted on
    assert "t\ufffd[2J 1" in outcome.stdout  # the title: the ruleset's name and version


@settings(max_examples=100, deadline=None)
@given(st.lists(terminal_texts, min_size=1, max_size=5), terminal_texts, st.booleans())
def test_no_control_byte_but_newline_reaches_the_table(values, name, terminal):
    frame = pl.DataFrame({
        "id": values,
        "score": list(range(len(values))),
        "rank": list(range(1, len(values) + 1)),
        "reasons": [[v, v] for v in values],
        "gaps": values,
    })
    context = OutputContext({"ruleset": name, "ruleset_version": name, "ruleset_hash": name, "as_of": name}, "id",
                            is_terminal=False, width=100)
    text = table_text(frame, context)
    assert not CONTROL.search(text), repr(text)
    if terminal:  # rich's own colours are the only escape sequences
        context.is_terminal = True
        coloured = re.sub(r"\x1b\[[0-9;]*m", "", table_text(frame, context))
        assert not CONTROL.search(coloured), repr(coloured)


def error_line(*args) -> str:
    """The one error line of a failed run, read as a terminal would get it (click strips only
    some escape sequences, and only when the stream is not a terminal)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], color=True)
    assert result.exit_code in (1, 2), result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert not CONTROL.search(result.stderr), repr(result.stderr)
    return lines[0]


def test_errors_quote_values_with_their_escapes_shown(ws):
    rules = ws.write("templated.yaml", TEMPLATED)
    bad = ws.write("bad.csv", "id,company,amount\nA-1,Acme,\"12\x1b]52;c;ZXZpbA==\x07\u202e\"\n")
    line = error_line("evaluate", bad, "-r", rules, "--as-of", AS_OF)
    assert "cannot read '12\\x1b]52;c;ZXZpbA==\\x07\\u202e' as money" in line
    duplicate = ws.write("dupes.csv", "id,amount,company\n\x1b]0;x\x07,1,a\n\x1b]0;x\x07,2,b\n")
    line = error_line("evaluate", duplicate, "-r", rules, "--as-of", AS_OF)
    assert "duplicate key '\\x1b]0;x\\x07'" in line
    twice = ws.write("twice.csv", "id,amount,\x9bx,\x9bx\nA,1,2,3\n")
    assert "duplicate column header '\\x9bx'" in error_line("evaluate", twice, "-r", rules, "--as-of", AS_OF)


def test_errors_show_no_control_character_from_a_ruleset(ws):
    extends = ws.write("extends.yaml", 'salesrules: 1\nname: e\nversion: "1"\nextends: "x\\e]0;t\\a\\u202e.yaml"\n')
    line = error_line("validate", extends)
    assert "not found" in line and "\ufffd]0;t\ufffd\ufffd.yaml" in line


def test_a_valid_ruleset_s_name_is_shown_without_its_escapes(ws):
    named = ws.write("named.yaml", TEMPLATED.replace("name: templated", 'name: "t\\e]0;x\\a\\u202e"'))
    result = CliRunner().invoke(cli, ["validate", str(named)], color=True)
    assert result.exit_code == 0, result.output
    assert not CONTROL.search(result.stdout) and "t\ufffd]0;x\ufffd\ufffd" in result.stdout


@settings(max_examples=100, deadline=None)
@given(terminal_texts)
def test_every_error_message_is_free_of_control_characters(text):
    assert not CONTROL.search(shown(text)) and "\n" not in shown(text)
    assert not CONTROL.search(printable(text))
    error = InputError(f"cannot read input: {text}", Loc(text, 1, 2))
    assert not CONTROL.search(str(error))
    assert not CONTROL.search(str(ErrorList([error, error])))


def test_the_text_reports_show_no_control_character_from_the_data(ws):
    values = [f"R-{i} {v}" for i, v in enumerate(ESCAPES)]
    data = hostile_file(ws, values)
    rules = ws.write("templated.yaml", TEMPLATED)
    changed = ws.write("changed.yaml", TEMPLATED.replace("points: 10, reason", "points: 15, reason"))
    for args in (
        ["explain", data, "-r", rules, "--id", values[0], "--as-of", AS_OF],
        ["diff", data, "-r", rules, "-r", changed, "--by", "note", "--as-of", AS_OF],
    ):
        result = CliRunner().invoke(cli, [str(a) for a in args], color=True)
        assert result.exit_code == 0, result.output
        assert not CONTROL.search(result.output), (args[0], result.output)
        assert "\ufffd" in result.output, (args[0], result.output)


def test_diff_csv_neutralises_keys_and_groups(ws):
    values = [*FORMULAS, "row\r=cmd|' /C calc'!A0"]  # a bare carriage return would start a row
    data = hostile_file(ws, values)
    rules = ws.write("templated.yaml", TEMPLATED)
    changed = ws.write("changed.yaml", TEMPLATED.replace("points: 10, reason", "points: 15, reason"))
    outcome = run("diff", data, "-r", rules, "-r", changed, "--by", "note", "-f", "csv", "--as-of", AS_OF)
    assert outcome.code == 0, outcome.output
    table = parsed(outcome.stdout.encode())
    assert table.columns[:2] == ["id", "note"]
    assert sorted(table["id"].to_list()) == sorted(expected_cell(v.strip()) for v in values)
    assert sorted(table["note"].to_list()) == sorted(expected_cell(v) for v in values)
    assert set(table["score_change"].to_list()) == {"5"}


# --- requires --------------------------------------------------------------------------------

REQUIRES = """\
salesrules: 1
name: needs
requires:
  - pluggy
  - {entry}
"""


def test_requires_refuses_everything_but_a_name_and_a_version(ws):
    for entry, fragment in [
        ("\"nosuch-pkg; os_name == '$(touch pwned)'\"", "has a marker"),
        ("\"nosuch-pkg[extra]>=1\"", "has extras"),
        ("\"nosuch-pkg @ https://example.com/x.whl\"", "has a URL"),
        ("\"nosuch-pkg===1.0\"", "has an arbitrary version (===)"),
        ("\"x'; touch pwned; echo '\"", "is not a package requirement"),
    ]:
        line = ws.ruleset_fails(REQUIRES.format(entry=entry), "5:5", fragment)
        assert "pip install" not in line


def test_requires_quotes_the_install_command_for_a_shell(ws):
    line = ws.ruleset_fails(REQUIRES.format(entry="'nosuch-pkg >=1.0, <2'"), "4:3",
                            "this ruleset requires nosuch-pkg<2,>=1.0, which is not installed", code=2)
    assert line.endswith("install it with: pip install 'nosuch-pkg<2,>=1.0'")
    line = ws.ruleset_fails(REQUIRES.format(entry="nosuch-pkg"), "4:3", code=2)
    assert line.endswith("install it with: pip install nosuch-pkg")


# Text made of what requirements are made of, quotes and shell syntax among it.
requirement_texts = st.text(" <>=!~*,.;[]@'\"$()`|&ab01+-:/#", max_size=30) | st.sampled_from([
    ">=1.0", " (>=1,<2)", "==1.*", "; os_name == '$(touch x)'", "[a]", " @ https://e.com/x.whl", "~=1.0",
])


@settings(max_examples=300, deadline=None)
@given(requirement_texts)
def test_a_printed_install_command_is_one_safe_shell_word(text):
    try:
        check_requirements(["nosuch-pkg-for-tests" + text])
    except RulesetError:
        return
    except PluginError as exc:
        command = str(exc).split("install it with: ", 1)[1]
        words = shlex.split(command)
        assert words[:2] == ["pip", "install"] and len(words) == 3, command
        assert re.fullmatch(r"[A-Za-z0-9._-]+(?:(?:~=|==|!=|<=|>=|<|>)[A-Za-z0-9.*+!-]+,?)*", words[2]), command


# --- markdown --------------------------------------------------------------------------------

MARKUP = [
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<javascript:alert(1)>",
    "[x]: javascript:alert(1)",
    "&lt;b&gt; &#106;avascript:",
    "`code` ``more``",
    "*em* **strong** _u_ __uu__ ~~s~~ $x$",
    "# heading",
    "1. item",
    "- item",
    "> quote",
    "a | b",
    "back\\slash\\",
    "two\nlines\r\nthree",
]
ALLOWED_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "br"}


class Cells(HTMLParser):
    """The text of every table cell of rendered HTML, and every tag seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self.tags: set[str] = set()
        self.inside = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag in ("td", "th"):
            self.cells.append("")
            self.inside = True
        elif tag == "br" and self.inside:
            self.cells[-1] += "\n"

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.cells[-1] += data


def rendered(markdown: str) -> Cells:
    """The markdown as a renderer that trusts HTML and every link would render it."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True
    cells = Cells()
    cells.feed(md.render(markdown))
    return cells


def markdown_of(frame) -> str:
    stream = io.StringIO()
    context = OutputContext({"ruleset": "r---><script>x</script>", "ruleset_version": "1", "ruleset_hash": "h",
                             "as_of": "2026-11-22"}, "id")
    get_registry().output_formats["markdown"].write(frame, stream, context)
    return stream.getvalue()


def shown_text(value: str) -> str:
    """What a cell must show: the value, its control characters replaced, trimmed as tables do."""
    return re.sub(r"^[^\S\n]+|[^\S\n]+$", "", printable(value))


def test_markdown_shows_markup_as_text():
    frame = pl.DataFrame({"id": MARKUP, "[h](javascript:x)": MARKUP, "score": [-3] * len(MARKUP)})
    cells = rendered(markdown_of(frame))
    assert cells.tags <= ALLOWED_TAGS, cells.tags
    expected = ["id", "[h](javascript:x)", "score"]
    for value in MARKUP:
        expected += [shown_text(value), shown_text(value), "-3"]
    assert cells.cells == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.characters(codec="utf-8") | st.sampled_from(MARKUP + ["<", "&", "]", "(", "\\\\"]),
                         max_size=10).map("".join), min_size=1, max_size=6))
def test_every_markdown_cell_renders_as_its_text(values):
    frame = pl.DataFrame({"id": values})
    cells = rendered(markdown_of(frame))
    assert cells.tags <= ALLOWED_TAGS, (cells.tags, markdown_of(frame))
    assert cells.cells == ["id", *map(shown_text, values)], markdown_of(frame)


def test_the_markdown_provenance_comment_stays_one_comment_line():
    text = markdown_of(pl.DataFrame({"id": ["a"]}))
    assert text.splitlines()[0] == "<!-- ruleset r- - -><script>x</script> 1 (hash h), as of 2026-11-22 -->"
    assert "script" not in rendered(text).tags
