"""An XMP packet read and edited as text: the tags photoq reads and writes found (as attributes of a
top-level rdf:Description or as its child elements) and changed in place, every other byte kept
(pyphotoq.photos.xmp plans and writes sidecars with it; pyphotoq.photos.ratings reads a photographer's marks)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from xml.parsers import expat

from .sidecar_files import MAX_SIDECAR_BYTES, Refused


XMP_NS = "http://ns.adobe.com/xap/1.0/"
DIGIKAM_NS = "http://www.digikam.org/ns/1.0/"
#: photoq's own XMP namespace: a stable identifier, never fetched.
PHOTOQ_NS = "http://ns.photoq.example/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
META_NS = "adobe:ns:meta/"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
#: digiKam's pick labels by photoq's pick names.
PICK_LABELS = {"": 0, "rejected": 1, "pending": 2, "accepted": 3}
_PICK_NAMES = {number: name for name, number in PICK_LABELS.items()}
_RATING = (XMP_NS, "Rating")
_PICK = (DIGIKAM_NS, "PickLabel")
_Q_RATING = (PHOTOQ_NS, "Rating")
_Q_PICK = (PHOTOQ_NS, "PickLabel")
_Q_SCORE = (PHOTOQ_NS, "Score")
_Q_RULE = (PHOTOQ_NS, "Rule")
_Q_PHOTO = (PHOTOQ_NS, "Photo")
#: The values photoq knows of each number it reads (XMP's ratings, digiKam's pick labels).
_RANGES = {_RATING: (-1, 5), _Q_RATING: (-1, 5), _PICK: (0, 3), _Q_PICK: (0, 3)}
#: The tags photoq reads and writes, in the order it adds them.
_KEYS = (_RATING, _PICK, _Q_RATING, _Q_PICK, _Q_SCORE, _Q_RULE, _Q_PHOTO)
_PREFIXES = {XMP_NS: "xmp", DIGIKAM_NS: "digiKam", PHOTOQ_NS: "photoq"}
_SHORT = {_RATING: "xmp:Rating", _PICK: "digiKam:PickLabel", _Q_RATING: "photoq:Rating",
          _Q_PICK: "photoq:PickLabel", _Q_SCORE: "photoq:Score", _Q_RULE: "photoq:Rule", _Q_PHOTO: "photoq:Photo"}


_NEW_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    '  <rdf:Description\n'
    '    rdf:about=""/>\n'
    ' </rdf:RDF>\n'
    '</x:xmpmeta>\n'
    '<?xpacket end="w"?>\n'
).encode("utf-8")


@dataclass
class _Property:
    """Where one of photoq's tags sits in the bytes (attribute of rdf:Description, or child element)."""

    value: str
    replace: tuple[int, int]  # the span whose bytes are the value (attribute value or element text)
    remove: tuple[int, int]  # the span to delete, leading whitespace included
    element: bytes | None = None  # the element's qualified name; None for an attribute
    empty_tag: tuple[int, int] | None = None  # a self-closing element's whole tag


@dataclass
class _Description:
    """A top-level rdf:Description's start tag: where attributes go and which prefixes are in scope."""

    insert_at: int
    separator: bytes
    bindings: dict[str, str]


@dataclass
class _Packet:
    data: bytes
    props: dict[tuple[str, str], _Property] = field(default_factory=dict)
    descriptions: list[_Description] = field(default_factory=list)
    rdf_close: int | None = None
    rdf_empty: bool = False
    rdf_prefix: str = ""
    rdf_bindings: dict[str, str] = field(default_factory=dict)


@dataclass
class _Tracked:
    """One of photoq's tags held as an element, while the parser is inside it."""

    key: tuple[str, str]
    name: bytes
    start: int
    tag_end: int
    empty: bool


_TAG = re.compile(rb'<(?:[^"\'>]|"[^"]*"|\'[^\']*\')*>')
_ATTRIBUTE = re.compile(rb'(\s+)([^\s=/>]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_NAME_END = re.compile(rb'[\s/>]')


def _scan(data: bytes, editing: bool = True) -> _Packet:
    """Parse an XMP packet and find photoq's tags in it; Refused (with the reason) when it is not XMP.

    expat runs without namespace processing, so prefixes are resolved here as written, and byte offsets
    of the tags are kept for editing the text in place.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        raise Refused("is UTF-16 or UTF-32 text; photoq merges UTF-8 sidecars only")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("is not UTF-8 text, so not an XMP sidecar photoq can merge") from None
    packet = _Packet(data=data)
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    stack: list[tuple[str, dict[str, str], _Property | None, list[str] | None]] = []  # role, bindings, ...

    def refuse_doctype(*_):
        raise Refused("has a DOCTYPE declaration, which XMP never has")

    def start(name, attributes):
        offset = parser.CurrentByteIndex
        parent_role, parent_bindings = (stack[-1][0], stack[-1][1]) if stack else (None, {"xml": _XML_NS})
        pairs = list(zip(attributes[::2], attributes[1::2]))
        bindings = dict(parent_bindings)
        for key, value in pairs:
            if key == "xmlns":
                bindings[""] = value
            elif key.startswith("xmlns:"):
                bindings[key[6:]] = value
        uri, local = _resolve(name, bindings, element=True)
        role = "other"
        if parent_role is None:
            if (uri, local) in ((META_NS, "xmpmeta"), (META_NS, "xapmeta")):
                role = "root"
            elif (uri, local) == (RDF_NS, "RDF"):
                role = "rdf"
            else:
                raise Refused(f"is not XMP (its outermost element is <{name}>)")
        elif parent_role == "root" and (uri, local) == (RDF_NS, "RDF"):
            role = "rdf"
        elif parent_role == "rdf" and (uri, local) == (RDF_NS, "Description"):
            role = "desc"
        elif parent_role == "desc":
            role = "prop"
        elif parent_role == "tracked":
            raise Refused(f"holds {_SHORT[stack[-1][2].key]} in a nested form photoq does not edit")
        if role == "rdf":
            if packet.rdf_close is not None or any(frame[0] == "rdf" for frame in stack):
                raise Refused("has more than one rdf:RDF element")
            packet.rdf_close = -1
            packet.rdf_empty = data[_tag_end(data, offset) - 2:_tag_end(data, offset)] == b"/>"
            packet.rdf_prefix = name.rpartition(":")[0]
            packet.rdf_bindings = bindings
        if role == "desc":
            _description(packet, offset, name, pairs, bindings)
        if role == "prop" and (uri, local) in _KEYS:
            if (uri, local) in packet.props:
                raise Refused(f"has {_SHORT[(uri, local)]} twice")
            end = _tag_end(data, offset)
            empty = data[end - 2:end] == b"/>"
            tracked = _Tracked(key=(uri, local), name=name.encode("utf-8"), start=offset, tag_end=end, empty=empty)
            stack.append(("tracked", bindings, tracked, []))
            return
        stack.append((role, bindings, None, None))

    def end(name):
        role, _, tracked, text = stack.pop()
        if role == "rdf":
            packet.rdf_close = parser.CurrentByteIndex
        if role == "tracked":
            if tracked.empty:
                close_end = tracked.tag_end
                span = (tracked.tag_end, tracked.tag_end)
            else:
                close = parser.CurrentByteIndex
                close_end = _tag_end(data, close)
                span = (tracked.tag_end, close)
            packet.props[tracked.key] = _Property(
                value="".join(text).strip(), replace=span, remove=(_cut_start(data, tracked.start), close_end),
                element=tracked.name, empty_tag=(tracked.start, tracked.tag_end) if tracked.empty else None)

    def characters(content):
        if stack and stack[-1][0] == "tracked":
            stack[-1][3].append(content)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise Refused(f"is not valid XML (line {error.lineno}: {expat.ErrorString(error.code)})") from None
    if packet.rdf_close is None:
        raise Refused("is not XMP (it has no rdf:RDF element)")
    if editing and not packet.descriptions and packet.rdf_empty:
        raise Refused("has an empty rdf:RDF element photoq cannot add to")
    return packet


def packet_marks(data: bytes) -> dict:
    """The marks an XMP packet (a sidecar's bytes, or the packet embedded in a photo) holds.

    Returns a dict: `rating` (xmp:Rating, -1 rejected .. 5, None where there is none), `pick`
    (digiKam:PickLabel as its name: "accepted", "pending", "rejected", or "" for none), and
    `photoq_rating` / `photoq_pick` (photoq's own decision, None / None where photoq never wrote one).
    Read with the same checks as a merge (UTF-8, well-formed, no DOCTYPE or entity, XMP, each tag
    once, values in range); Refused, with the reason, otherwise. Nothing is written.
    """
    if len(data) > MAX_SIDECAR_BYTES:
        raise Refused(f"is {len(data)} bytes, too large to be an XMP packet")
    packet = _scan(data, editing=False)
    pick = _number(packet, _PICK)
    photoq_pick = _number(packet, _Q_PICK)
    return {"rating": _number(packet, _RATING), "pick": _PICK_NAMES.get(pick or 0, ""),
            "photoq_rating": _number(packet, _Q_RATING),
            "photoq_pick": None if photoq_pick is None else _PICK_NAMES.get(photoq_pick, "")}


def _description(packet: _Packet, offset: int, name: str, pairs, bindings) -> None:
    """Record a top-level rdf:Description: its photoq tags held as attributes, and where to add more."""
    data = packet.data
    end = _tag_end(data, offset)
    name_end = _NAME_END.search(data, offset + 1).start()
    spans = {}
    insert_at, separator = name_end, b" "
    for match in _ATTRIBUTE.finditer(data, name_end, end):
        quote_group = 3 if match.group(3) is not None else 4
        spans[match.group(2).decode("utf-8")] = (match.start(), match.end(), match.start(quote_group),
                                                 match.end(quote_group))
        insert_at = match.end()
        separator = match.group(1) if b"\n" in match.group(1) else b" "
    for key, value in pairs:
        if key == "xmlns" or key.startswith("xmlns:"):
            continue
        uri_local = _resolve(key, bindings, element=False)
        if uri_local in _KEYS:
            if uri_local in packet.props:
                raise Refused(f"has {_SHORT[uri_local]} twice")
            if key not in spans:
                raise Refused(f"has an attribute {key} photoq cannot locate in the text; left as it is")
            cut, attribute_end, value_start, value_end = spans[key]
            packet.props[uri_local] = _Property(value=value.strip(), replace=(value_start, value_end),
                                                remove=(cut, attribute_end))
    packet.descriptions.append(_Description(insert_at=insert_at, separator=separator, bindings=bindings))


def _resolve(name: str, bindings: dict[str, str], element: bool) -> tuple[str | None, str]:
    prefix, colon, local = name.rpartition(":")
    if not colon:
        return (bindings.get("") if element else None), local
    return bindings.get(prefix), local


def _tag_end(data: bytes, start: int) -> int:
    """Offset just after the tag that starts at `start` ('>' inside quoted values does not end it)."""
    match = _TAG.match(data, start)
    if match is None:
        raise Refused("is not valid XML (a tag does not end)")
    return match.end()


def _cut_start(data: bytes, start: int) -> int:
    """Where deleting an element starting at `start` begins: its indentation and one line break before it."""
    position = start
    while position > 0 and data[position - 1] in b" \t":
        position -= 1
    if position > 0 and data[position - 1] == 0x0A:
        position -= 1
        if position > 0 and data[position - 1] == 0x0D:
            position -= 1
    return position


def _number(packet: _Packet, key) -> int | None:
    prop = packet.props.get(key)
    if prop is None or prop.value == "":
        return None
    try:
        number = float(prop.value)
    except ValueError:
        raise Refused(f"has {_SHORT[key]} {prop.value!r}, which is not a number") from None
    if not math.isfinite(number) or number != int(number):
        raise Refused(f"has {_SHORT[key]} {prop.value!r}, which is not a whole number")
    low, high = _RANGES[key]
    if not low <= number <= high:
        raise Refused(f"has {_SHORT[key]} {prop.value[:24]!r}, which is not a value photoq knows ({low} to {high}); "
                       "left as it is")
    return int(number)


def _edit(packet: _Packet, changes: dict) -> bytes:
    """The packet's bytes with each tag in `changes` set to its text (None: removed), all else unchanged."""
    data = packet.data
    edits: list[tuple[int, int, bytes]] = []
    additions = []
    for key, value in changes.items():
        prop = packet.props.get(key)
        if value is None:
            if prop is not None:
                edits.append((*prop.remove, b""))
        elif prop is None:
            additions.append((key, value))
        elif prop.empty_tag is not None:
            start, end = prop.empty_tag
            head = data[start:end - 2].rstrip()
            edits.append((start, end, head + b">" + _escape(value) + b"</" + prop.element + b">"))
        else:
            edits.append((*prop.replace, _escape(value)))
    additions.sort(key=lambda addition: _KEYS.index(addition[0]))
    if additions:
        if packet.descriptions:
            target = packet.descriptions[0]
            text = _attributes(additions, target.bindings, target.separator)
            edits.append((target.insert_at, target.insert_at, text))
        else:
            if not packet.rdf_prefix:
                raise Refused("has an rdf:RDF without a prefix and no rdf:Description; photoq cannot add to it")
            rdf = packet.rdf_prefix.encode("utf-8")
            text = (b"  <" + rdf + b":Description " + rdf + b':about=""'
                    + _attributes(additions, packet.rdf_bindings, b" ") + b"/>\n ")
            edits.append((packet.rdf_close, packet.rdf_close, text))
    result = bytearray(data)
    last = len(data) + 1
    for start, end, text in sorted(edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
        if end > last:
            raise Refused("could not be merged safely (overlapping edits); left as it is")
        result[start:end] = text
        last = start
    return bytes(result)


def _attributes(additions, bindings: dict[str, str], separator: bytes) -> bytes:
    """Attribute text for new tags, with the namespace declarations they need in this scope."""
    declared = dict(bindings)
    declarations, values = [], []
    for (uri, local), value in additions:
        prefix = next((p for p, u in declared.items() if u == uri and p == _PREFIXES[uri]), None) \
            or next((p for p, u in declared.items() if u == uri and p not in ("", "xml")), None)
        if prefix is None:
            prefix, number = _PREFIXES[uri], 1
            while prefix in declared:
                number += 1
                prefix = f"{_PREFIXES[uri]}{number}"
            declared[prefix] = uri
            declarations.append(separator + f'xmlns:{prefix}="{uri}"'.encode("utf-8"))
        values.append(separator + f"{prefix}:{local}=\"".encode("utf-8") + _escape(value) + b'"')
    return b"".join(declarations + values)


def _clean(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold, and trimmed as readers trim it."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF
                   and c not in "\ufffe\uffff").strip()


def _escape(text: str) -> bytes:
    escaped = (_clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
               .replace('"', "&quot;").replace("'", "&apos;")
               .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;"))
    return escaped.encode("utf-8")
