"""XML read safely into a small tree whose elements know their line and column.

Files such as DMN models come from other people: they are parsed with defusedxml, which
refuses a document type declaration with entities, external entities and entity expansion
(billion laughs, quadratic blowup, XXE). Sizes are bounded like YAML rulesets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler

from ..errors import InputError, Loc, RulesetError

MAX_BYTES = 20_000_000
MAX_ELEMENTS = 500_000
MAX_DEPTH = 200


@dataclass
class Element:
    """An XML element: its local name (no namespace prefix), attributes, children, text, place."""

    tag: str
    attrs: dict[str, str]
    loc: Loc
    children: list[Element] = field(default_factory=list)
    text: str = ""
    namespaces: dict[str, str] = field(default_factory=dict)

    def find(self, tag: str) -> Element | None:
        """The first child of local name ``tag``."""
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[Element]:
        """Every child of local name ``tag``."""
        return [c for c in self.children if c.tag == tag]

    def child_text(self, tag: str) -> str | None:
        """The text of the first child ``tag`` (stripped), or None without one."""
        child = self.find(tag)
        return None if child is None else child.text.strip()


class _Builder(ContentHandler):
    def __init__(self, source: str):
        super().__init__()
        self.source = source
        self.stack: list[Element] = []
        self.root: Element | None = None
        self.count = 0
        self.locator = None

    def setDocumentLocator(self, locator):
        self.locator = locator

    def _loc(self) -> Loc:
        if self.locator is None:
            return Loc(self.source)
        return Loc(self.source, self.locator.getLineNumber(), self.locator.getColumnNumber() + 1)

    def startElement(self, name, attrs):
        self.count += 1
        if self.count > MAX_ELEMENTS:
            raise RulesetError(f"the document has more than {MAX_ELEMENTS:,} elements", self._loc())
        if len(self.stack) >= MAX_DEPTH:
            raise RulesetError(f"the document is nested more than {MAX_DEPTH} levels deep", self._loc())
        names = {k.split(":", 1)[1] if ":" in k else "": v for k, v in attrs.items() if k == "xmlns" or k.startswith("xmlns:")}
        element = Element(
            tag=name.rsplit(":", 1)[-1],
            attrs={k.rsplit(":", 1)[-1]: v for k, v in attrs.items() if not (k == "xmlns" or k.startswith("xmlns:"))},
            loc=self._loc(),
            namespaces=names,
        )
        if self.stack:
            self.stack[-1].children.append(element)
        else:
            self.root = element
        self.stack.append(element)

    def endElement(self, name):
        self.stack.pop()

    def characters(self, content):
        if self.stack:
            self.stack[-1].text += content


def read_xml(path: str | Path) -> Element:
    """Read and parse an XML file safely; every error is one line naming the file and place."""
    import defusedxml.sax
    from defusedxml import DefusedXmlException

    source = str(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)  # never more: a device such as /dev/zero never ends
    except FileNotFoundError:
        raise InputError("file not found", Loc(source)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", Loc(source)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", Loc(source)) from None
    if len(data) > MAX_BYTES:
        raise RulesetError(f"the file is larger than {MAX_BYTES // 1_000_000} MB", Loc(source))
    builder = _Builder(source)
    try:
        defusedxml.sax.parseString(data, builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        loc = builder._loc() if builder.locator is not None else Loc(source)
        raise RulesetError(
            "the document declares a document type or entities, which are refused (no entities, no external files)", loc
        ) from None
    except SAXParseException as exc:
        raise RulesetError(f"not well-formed XML: {exc.getMessage()}", Loc(source, exc.getLineNumber(), exc.getColumnNumber() + 1)) from None
    if builder.root is None:
        raise RulesetError("the document has no element", Loc(source))
    return builder.root
