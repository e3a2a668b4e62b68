"""Why an XML CAD is refused (S08, S09, S10), found in memory bounded by the file's size.

A file goes through gates, each of which rejects it whole, before its values are read:

1. the bytes must be UTF-8, and the XML declaration may name no other encoding (S08); a file that starts like
   UTF-16 or UTF-32 is told so;
2. no DOCTYPE: a document type declaration (the only home of entity declarations) is refused before any parsing,
   so that nothing is ever expanded or fetched (S10);
3. no start tag with more than ``MAX_ATTRIBUTES`` attributes, and no more than ``MAX_NAMESPACE_DECLARATIONS``
   namespace declarations in the file (S10), found before parsing: ``cad.xsd`` allows one attribute on an element
   besides namespace declarations, libxml2 reports every unknown attribute of a tag at once, and it logs a warning
   for every odd namespace name even in a valid file, so this bounds what libxml2's log can hold;
4. well-formed, read by a hardened parser: no DTD loading, no entity substitution, no network, libxml2's size
   and depth limits kept (S09, with the parser's line, column and message);
5. no XInclude element (S10; XInclude is never processed anyway);
6. valid against ``schemas/cad.xsd`` (S10).

Gates 4 to 6 run as one streaming pass that builds no tree and stops at the first fault. Only a faulty file is
read a second time, still streaming, to name each fault's element (an XPath) and place (line and column of its
start tag): the first ``MAX_FINDINGS`` faults, then one finding saying that more were not listed, and the pass
stops there, so that libxml2's error log never grows with the file.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from lxml import etree

from pipeline.findings import MAX_FINDINGS, Finding
from pipeline.parsers import wide_encoding
from pipeline.writers.xml import NS, tag

# Options shared by every parse of a submitted file: nothing outside the bytes is ever read or expanded.
HARDENED: Mapping[str, bool] = MappingProxyType(
    {
        "resolve_entities": False,
        "load_dtd": False,
        "dtd_validation": False,
        "attribute_defaults": False,
        "no_network": True,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
        "remove_blank_text": True,
    }
)
MAX_ATTRIBUTES = 32  # on one start tag, namespace declarations included
MAX_NAMESPACE_DECLARATIONS = 64  # in a file; a CAD needs one or two
_XINCLUDE_NAMESPACES = frozenset({"http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude"})
_XINCLUDE_START = "{http://www.w3.org/200"
_ALWAYS_INDEXED = frozenset({tag("Declaration"), tag("GovernmentAgencyGoodsItem"), tag("DutyTaxFee")})
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_DECODE_CHUNK = 1 << 20
_QUOTED_MAX = 60  # characters of a value quoted in a schema message
# What may precede a document type declaration: blanks, the XML declaration, processing instructions, comments.
_PROLOG_MISC = re.compile(rb"(?:[ \t\r\n]+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
# Possessive and atomic throughout: every class stops at '<', so each attempt ends at the next tag (linear).
_ATTRIBUTE = rb"""(?>\s++[^\s=<>]++\s*+=\s*+(?>"[^"<]*+"|'[^'<]*+'))"""
_NAMESPACE_DECLARATION = re.compile(rb"\sxmlns(?::[^\s=<>]*+)?+\s*+=")
_CROWDED_TAG = re.compile(rb"<([^\s/!?<>]++)%s{%d}" % (_ATTRIBUTE, MAX_ATTRIBUTES + 1))
# Markup that may hold a '<' that starts no element, and the '<' of a start tag.
_MARKUP = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?]]>|<\?.*?\?>|<(?=[^/!?])", re.DOTALL)
_OWN_NAMESPACE = f"{{{NS}}}"
_WRITTEN_NAME = re.compile(rb"[^\s/>]+")
_NAMED_ELEMENT = re.compile(r"Element '([^']*)'")
_LONG_QUOTE = re.compile(rf"'([^']{{{_QUOTED_MAX}}})[^']{{20,}}+'?")  # libxml2 may cut the value, and its quote


def refusal(data: bytes) -> Finding | None:
    """The fault of gates 1 to 3, which are checked on the bytes, before any parsing."""
    return _encoding_fault(data) or _doctype_fault(data) or _crowded_tag_fault(data) or _namespaces_fault(data)


def parse_faults(data: bytes, schema: etree.XMLSchema) -> tuple[Finding, ...]:
    """The S09 or S10 findings of gates 4 to 6; () when the file is well-formed and valid."""
    probe = _FirstFault()
    fault = _stream(data, schema, probe)
    if isinstance(fault, Finding):
        return (fault,)
    if fault is None:
        return ()
    namer = _FaultNamer()
    fault = _stream(data, schema, namer)
    return (fault,) if isinstance(fault, Finding) else namer.findings(data)


# ----------------------------------------------------------------------------------------------- on the bytes


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character column of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _encoding_fault(data: bytes) -> Finding | None:
    wide = wide_encoding(data)
    if wide:
        return Finding(
            "S08", f"the file looks like {wide}, not UTF-8; CADs in XML must be UTF-8", "line 1, column 1"
        )
    head = data[:1024].removeprefix(_UTF8_BOM)
    declared = _DECLARED_ENCODING.match(head)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _UTF8_NAMES:
        name = declared.group(1).decode("ascii", "replace")
        return Finding(
            "S08", f"the XML declaration names encoding {name!r}; only UTF-8 is accepted", "line 1, column 1"
        )
    if data.isascii():
        return None
    # Checked in chunks so that a large file is never held a second time, as text.
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _DECODE_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(data[start : start + _DECODE_CHUNK], final=start + _DECODE_CHUNK >= len(data))
        except UnicodeDecodeError as error:
            offset = start - pending + error.start
            bad = data[offset : offset + min(4, error.end - error.start)].hex(" ")
            line, column = _line_column(data, offset)
            return Finding(
                "S08", f"bytes {bad} are not valid UTF-8 ({error.reason})", f"line {line}, column {column}"
            )
    return None


def _doctype_fault(data: bytes) -> Finding | None:
    start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    at = _PROLOG_MISC.match(data, start).end()
    if not data.startswith(b"<!DOCTYPE", at):
        return None
    line, column = _line_column(data, at)
    return Finding(
        "S10",
        "a document type declaration (DOCTYPE) is not allowed: DTDs and entities are refused without being read",
        f"line {line}, column {column}",
    )


def _crowded_tag_fault(data: bytes) -> Finding | None:
    crowded = _CROWDED_TAG.search(data)
    if crowded is None:
        return None
    name = crowded.group(1).decode("utf-8", "replace")
    line, column = _line_column(data, crowded.start())
    return Finding(
        "S10",
        f"element {name} has more than {MAX_ATTRIBUTES} attributes: cad.xsd allows one besides namespace "
        "declarations, and a start tag with more is refused unread",
        f"line {line}, column {column}",
    )


def _namespaces_fault(data: bytes) -> Finding | None:
    if data.count(b"xmlns") <= MAX_NAMESPACE_DECLARATIONS:  # every declaration names it: none to count (fast)
        return None
    for count, declaration in enumerate(_NAMESPACE_DECLARATION.finditer(data), 1):
        if count > MAX_NAMESPACE_DECLARATIONS:
            line, column = _line_column(data, declaration.start() + 1)
            return Finding(
                "S10",
                f"more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations: a CAD needs one or two, and a file "
                "with more is refused unread",
                f"line {line}, column {column}",
            )
    return None


def _places(data: bytes, ordinals: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Byte offset and "line L, column C" of the start tags of these ordinals (1 = the root element), found in one
    pass over the bytes."""
    wanted = sorted(set(ordinals))
    places: dict[int, tuple[int, str]] = {}
    if not wanted:
        return places
    next_wanted, count = iter(wanted), 0
    target = next(next_wanted)
    line, anchor, anchor_column = 1, 0, 0  # the column is counted on from the last place found on the same line
    for match in _MARKUP.finditer(data):
        if match.end() - match.start() != 1:
            continue  # a comment, CDATA section or processing instruction
        count += 1
        if count != target:
            continue
        offset = match.start()
        newline = data.rfind(b"\n", anchor, offset)
        if newline >= 0:
            line += data.count(b"\n", anchor, offset)
            anchor, anchor_column = newline + 1, 0
        anchor_column += len(data[anchor:offset].decode("utf-8", errors="replace"))
        anchor = offset
        places[target] = (offset, f"line {line}, column {anchor_column + 1}")
        target = next(next_wanted, None)
        if target is None:
            break
    return places


# ----------------------------------------------------------------------------------------------- streaming


class _Stop(Exception):
    """Raised by a parser target to stop libxml2 once it has seen enough."""


class _FirstFault:
    """A parser target that builds nothing and stops soon after the first fault libxml2 reports.

    The log is looked at every ``_EVERY`` elements only (looking costs more than the rest of the pass): the faults
    of so few elements are bounded by ``MAX_ATTRIBUTES``.
    """

    parser: etree.XMLParser
    _EVERY = 64

    def __init__(self) -> None:
        self.countdown = self._EVERY

    def end(self, _tag: str) -> None:
        self.countdown -= 1
        if not self.countdown:
            self.countdown = self._EVERY
            if len(self.parser.error_log):
                raise _Stop

    def close(self) -> None:
        return None


class _Nothing:
    """A parser target that builds nothing and looks at nothing: only well-formedness is asked."""

    def close(self) -> None:
        return None


def _stream(data: bytes, schema: etree.XMLSchema, target: _FirstFault | _FaultNamer) -> Finding | bool | None:
    """Run ``target`` over the file with the schema: an S09 finding, True when there was a fault, else None."""
    parser = etree.XMLParser(target=target, schema=schema, collect_ids=False, **HARDENED)
    target.parser = parser
    try:
        etree.fromstring(data, parser)
    except _Stop:
        return True
    except etree.XMLSyntaxError:
        # Once the schema has found a fault, libxml2 no longer logs a well-formedness fault: ask without it.
        return _well_formedness_fault(data) or True
    return True if any(entry.level >= etree.ErrorLevels.ERROR for entry in parser.error_log) else None


def _well_formedness_fault(data: bytes) -> Finding | None:
    parser = etree.XMLParser(target=_Nothing(), collect_ids=False, **HARDENED)
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        first = parser.error_log[0] if len(parser.error_log) else None
        line, column, message = (
            (first.line, first.column, first.message) if first else (*error.position, error.msg)
        )
        return Finding("S09", f"XML not well-formed: {message}", f"line {line}, column {column}")
    return None


# An open element: its tag, its position among same-tag siblings, its ordinal among start tags.
_Step = tuple[str, int, int]


class _FaultNamer:
    """A parser target that names the element of each fault libxml2 reports while it streams.

    libxml2 reports a fault while it handles a parsing event, after the target has seen that event. The log is
    looked at only when an element ends (looking costs more than the rest of the pass): its new faults belong to
    the element that ended before, or to one started since, told apart by the element name each message starts
    with, in order.
    """

    parser: etree.XMLParser

    def __init__(self, limit: int = MAX_FINDINGS) -> None:
        self.limit = limit
        self.open: list[_Step] = []
        self.children: list[dict[str, int]] = [{}]
        self.ordinal = 0
        self.closed: _Step | None = None  # the element that ended last
        self.fresh = 0  # elements started since then
        self.reported = 0  # entries of the parser's error log already looked at
        self.faults: list[tuple[str, tuple[_Step, ...]]] = []  # message, element
        self.unlisted: tuple[str, tuple[_Step, ...]] | None = None
        self.xincludes: list[tuple[_Step, ...]] = []

    def start(self, element_tag: str, _attrib: object) -> None:
        siblings = self.children[-1]
        position = siblings[element_tag] = siblings.get(element_tag, 0) + 1
        self.ordinal += 1
        self.open.append((element_tag, position, self.ordinal))
        self.children.append({})
        self.fresh += 1
        if element_tag.startswith(_XINCLUDE_START) and len(self.xincludes) <= self.limit:
            if etree.QName(element_tag).namespace in _XINCLUDE_NAMESPACES:
                self.xincludes.append(tuple(self.open))

    def end(self, _tag: str) -> None:
        if len(self.parser.error_log) != self.reported:
            self._collect()
        self.closed = self.open.pop()
        self.children.pop()
        self.fresh = 0

    def close(self) -> None:
        self._collect()

    def _candidates(self) -> list[tuple[_Step, ...]]:
        """The elements of the events since the log was last looked at, in order."""
        depth = len(self.open)
        candidates = [(*self.open[: depth - self.fresh], self.closed)] if self.closed else []
        candidates.extend(tuple(self.open[:level]) for level in range(depth - self.fresh + 1, depth + 1))
        return candidates

    def _collect(self) -> None:
        log = list(self.parser.error_log)
        candidates = self._candidates() or [tuple(self.open)]
        at = 0
        for entry in log[self.reported :]:
            if entry.level < etree.ErrorLevels.ERROR:
                continue
            named = _NAMED_ELEMENT.match(entry.message)
            if named:
                at = next((k for k in range(at, len(candidates)) if candidates[k][-1][0] == named[1]), at)
            if len(self.faults) < self.limit:
                self.faults.append((entry.message, candidates[at]))
            else:
                self.unlisted = (entry.message, candidates[at])
                raise _Stop
        self.reported = len(log)

    def findings(self, data: bytes) -> tuple[Finding, ...]:
        listed: list[tuple[str, str, tuple[_Step, ...]]]  # the message around the XPath, and the element
        if self.xincludes:
            listed = [("XInclude is not allowed: element ", "", element) for element in self.xincludes[: self.limit]]
            unlisted = self.xincludes[self.limit] if len(self.xincludes) > self.limit else None
        else:
            listed = [(f"{_plain(message)} (at ", ")", element) for message, element in self.faults]
            unlisted = self.unlisted[1] if self.unlisted else None
        elements = [element for _, _, element in listed] + ([unlisted] if unlisted else [])
        # Where each element starts, and the name as written of any element outside this interface's namespace.
        places = _places(data, {
            ordinal for element in elements for step, (tag_name, _, ordinal) in enumerate(element, 1)
            if step == len(element) or not tag_name.startswith(_OWN_NAMESPACE)
        })
        written = {ordinal: _WRITTEN_NAME.match(data, offset + 1)[0].decode("utf-8", "replace")
                   for ordinal, (offset, _) in places.items()}

        def place(element: tuple[_Step, ...]) -> str:
            return places[element[-1][2]][1] if element[-1][2] in places else "line 1, column 1"

        findings = [
            Finding("S10", f"{before}{_xpath(element, written)}{after}", place(element))
            for before, after, element in listed
        ]
        if unlisted:
            findings.append(Finding(
                "S10", f"more S10 findings not listed: a file is checked up to its first {self.limit:,} faults",
                place(unlisted),
            ))
        return tuple(findings)


def _xpath(element: tuple[_Step, ...], written: Mapping[int, str]) -> str:
    """The XPath of an element: steps in this interface's namespace bare, others as written in the file."""
    steps = []
    for element_tag, position, ordinal in element:
        step = etree.QName(element_tag).localname
        if not element_tag.startswith(_OWN_NAMESPACE):
            step = written.get(ordinal, step)
        indexed = position > 1 or element_tag in _ALWAYS_INDEXED
        steps.append(f"{step}[{position}]" if indexed else step)
    return "/" + "/".join(steps)


def _plain(message: str) -> str:
    """A libxml2 message without this interface's namespace, and with long quoted values shortened."""
    message = message.replace(f"{{{NS}}}", "").rstrip(".")
    return _LONG_QUOTE.sub(lambda quoted: f"'{quoted.group(1)}…'", message)
