"""Telegram's HTML parse mode, applied the way the Bot API server (TDLib) applies it.

The parser walks the UTF-8 bytes of the text once, the way TDLib's ``parse_html`` does, so that its
error messages — including the ``byte offset N`` they quote — are the ones Telegram sends:

* only these tags are accepted (names are case-insensitive): ``b strong i em u ins s strike del a code
  pre span tg-spoiler tg-emoji blockquote``; anything else is ``Unsupported start tag "x" at byte
  offset N``. A lone ``<`` is a start tag with an empty name, so ``a < b`` is rejected too.
* ``span`` must carry ``class="tg-spoiler"``; ``tg-emoji`` needs a positive integer ``emoji-id``;
  ``blockquote`` may carry the bare attribute ``expandable``; ``pre`` wrapping exactly one
  ``code class="language-x"`` becomes a ``pre`` entity with ``language``; ``a href="tg://user?id=N"``
  becomes a ``text_mention``; an ``a`` whose URL is not acceptable silently produces no entity.
* entities: only ``&lt; &gt; &amp; &quot;`` and numeric ``&#N;`` / ``&#xN;`` are decoded (the ``;`` is
  optional); any other ``&name;`` stays in the text literally — Telegram does not reject it.
* an end tag must close the innermost open tag (``</>`` closes whatever is open); tags left open at the
  end are ``Can't find end tag corresponding to start tag "b"``.

Invariants of the result: ``text`` is valid Unicode; entity ``offset``/``length`` are in UTF-16 code
units; entities are non-empty and sorted the way Telegram sorts them (offset, then longer first, then
type priority). Message-level rules (trimming surrounding whitespace, 1–4096 code points) live in
:func:`prepare_text`, not in :func:`parse_html`, because captions and edits share the parser but not the
limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.exceptions import ValidationError

TEXT_LIMIT = 4096
"""Maximum message text length, in Unicode code points, after entity parsing."""

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SIMPLE_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "u": "underline", "ins": "underline", "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip

# TDLib's sort priority for entities that start at the same offset and have the same length.
_TYPE_PRIORITY = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 11, "code": 20, "text_link": 49,
    "text_mention": 49, "bold": 90, "italic": 91, "underline": 92, "strikethrough": 93,
    "spoiler": 94, "custom_emoji": 99,
}  # fmt: skip

_SPACE = frozenset(b" \t\r\n\0\v")  # TDLib's is_space; NUL doubles as "end of text"
_NAMED = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}
_LT, _GT, _AMP, _SLASH, _EQ, _SEMI, _HASH = (ord(c) for c in "<>&/=;#")
_QUOTES = (ord('"'), ord("'"))
_NAME_TOKEN_EXTRA = (ord("."), ord("-"))
_USER_LINK = re.compile(r"^tg://user\?id=(\d{1,19})$", re.IGNORECASE)
_URL_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_HOSTLIKE = re.compile(r"^[^\s/?#:@]+\.[^\s/?#:@]+([/?#:].*)?$")
_TRIM = " \t\r\n"
_INVALID_UNICODE = (
    "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
    "surrogate code units"
)


class HtmlParseError(ValidationError):
    """The HTML was rejected; ``str(e)`` is TDLib's message (the API prefixes "can't parse entities: ")."""


class TextLengthError(ValidationError):
    """Message text empty (``kind == "empty"``) or longer than 4096 code points (``"too_long"``)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Plain text plus Bot API ``MessageEntity`` dicts (offsets in UTF-16 code units)."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    byte_offset: int  # into the output, to read the text of an <a> without href


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what Telegram's entity offsets count."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _at(data: bytes, i: int) -> int:
    return data[i] if i < len(data) else 0


def _is_alnum(c: int) -> bool:
    return 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _is_alpha(c: int) -> bool:
    return 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _hex_value(c: int) -> int | None:
    if 0x30 <= c <= 0x39:
        return c - 0x30
    if 0x41 <= c <= 0x46:
        return c - 0x41 + 10
    if 0x61 <= c <= 0x66:
        return c - 0x61 + 10
    return None


def _decode_entity(data: bytes, pos: int) -> tuple[int, int] | None:
    """Decode the character reference at ``pos`` (which holds ``&``): (code point, next position)."""
    end = pos + 1
    value = 0
    if _at(data, pos + 1) == _HASH:
        end += 1
        if _at(data, pos + 2) == ord("x"):
            end += 1
            while (digit := _hex_value(_at(data, end))) is not None:
                value = value * 16 + digit
                end += 1
        else:
            while 0x30 <= _at(data, end) <= 0x39:
                value = value * 10 + _at(data, end) - 0x30
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while _is_alpha(_at(data, end)):
            end += 1
        named = _NAMED.get(data[pos + 1 : end])
        if named is None:
            return None  # unsupported named entity: left in the text as it is
        value = named
    if _at(data, end) == _SEMI:
        end += 1
    return value, end


def _encode(code_point: int) -> bytes:
    return chr(code_point).encode("utf-8", "surrogatepass")


def _check_url(url: str) -> str | None:
    """The URL a text link keeps, or ``None`` when Telegram would drop the link (not an error)."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    scheme = _URL_SCHEME.match(url)
    if scheme:
        return url if scheme.group(1).lower() in {"http", "https", "tg", "ton", "ftp"} else None
    if _HOSTLIKE.match(url):
        return "http://" + url
    return None


def _sort_key(entity: dict[str, Any]) -> tuple[int, int, int]:
    kind = "pre" if entity["type"] == "pre" and "language" not in entity else entity["type"]
    priority = 10 if entity["type"] == "pre" and "language" in entity else _TYPE_PRIORITY.get(kind, 50)
    return (entity["offset"], -entity["length"], priority)


def parse_html(html: str) -> FormattedText:
    """Parse Telegram HTML into plain text + entities; raise :class:`HtmlParseError` like TDLib."""
    data = html.encode("utf-8", "surrogatepass")
    n = len(data)
    out = bytearray()
    utf16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < n:
        c = data[i]
        if c == _AMP:
            decoded = _decode_entity(data, i)
            if decoded is not None:
                code_point, i = decoded
                utf16 += 2 if code_point > 0xFFFF else 1
                out += _encode(code_point)
                continue
        if c != _LT:
            if c & 0xC0 != 0x80:  # first byte of a character
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if _at(data, i) != _SLASH:
            i = _read_start_tag(data, begin, i, stack, utf16, len(out))
        else:
            i = _read_end_tag(data, begin, i, stack, entities, utf16, out)
        i += 1  # past '>'

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=_sort_key)
    try:
        text = bytes(out).decode("utf-8")
    except UnicodeDecodeError as e:
        raise HtmlParseError(_INVALID_UNICODE) from e
    return FormattedText(text, tuple(entities))


def _read_start_tag(data: bytes, begin: int, i: int, stack: list[_Open], utf16: int, out_len: int) -> int:
    """Read ``<tag attr=...>`` starting after ``<``; push it; return the index of the closing ``>``."""
    while _at(data, i) not in _SPACE and _at(data, i) != _GT:
        i += 1
    if _at(data, i) == 0:
        raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
    tag = data[begin + 1 : i].lower().decode("utf-8", "replace")
    if tag not in ALLOWED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')

    argument = ""
    while _at(data, i) != _GT:
        while _at(data, i) != 0 and _at(data, i) in _SPACE:
            i += 1
        if _at(data, i) == _GT:
            break
        name_begin = i
        # TDLib stops an attribute name at '>' too, so the bare ``<blockquote expandable>`` parses.
        while _at(data, i) not in _SPACE and _at(data, i) not in (_EQ, _GT):
            i += 1
        name = data[name_begin:i]
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while _at(data, i) != 0 and _at(data, i) in _SPACE:
            i += 1
        if _at(data, i) != _EQ:
            if tag == "blockquote" and name == b"expandable":
                argument = "1"
                continue
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {begin}'
            )
        i += 1
        while _at(data, i) != 0 and _at(data, i) in _SPACE:
            i += 1
        if _at(data, i) == 0:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')

        value = bytearray()
        if _at(data, i) not in _QUOTES:
            token_begin = i
            while _is_alnum(_at(data, i)) or _at(data, i) in _NAME_TOKEN_EXTRA:
                i += 1
            value += data[token_begin:i].lower()
            if _at(data, i) not in _SPACE and _at(data, i) != _GT:
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote = data[i]
            i += 1
            while i < len(data) and data[i] != quote:
                if data[i] == _AMP:
                    decoded = _decode_entity(data, i)
                    if decoded is not None:
                        code_point, i = decoded
                        value += _encode(code_point)
                        continue
                value.append(data[i])
                i += 1
            if _at(data, i) == quote:
                i += 1
        if _at(data, i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")

        text_value = bytes(value).decode("utf-8", "replace")
        if tag == "a" and name == b"href":
            argument = text_value
        elif tag == "code" and name == b"class" and text_value.startswith("language-"):
            argument = text_value[len("language-") :]
        elif tag == "span" and name == b"class" and text_value.startswith("tg-"):
            argument = text_value[len("tg-") :]
        elif tag == "tg-emoji" and name == b"emoji-id":
            argument = text_value
        elif tag == "blockquote" and name == b"expandable":
            argument = "1"

    if tag == "span" and argument != "spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    stack.append(_Open(tag, argument, utf16, out_len))
    return i


def _read_end_tag(
    data: bytes,
    begin: int,
    i: int,
    stack: list[_Open],
    entities: list[dict[str, Any]],
    utf16: int,
    out: bytearray,
) -> int:
    """Read ``</tag>`` starting at ``/``; close the innermost tag; return the index of ``>``."""
    if not stack:
        raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
    while _at(data, i) not in _SPACE and _at(data, i) != _GT:
        i += 1
    end_name = data[begin + 2 : i].decode("utf-8", "replace")
    while _at(data, i) in _SPACE and _at(data, i) != 0:
        i += 1
    if _at(data, i) != _GT:
        raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
    top = stack.pop()
    if end_name and end_name != top.tag:
        raise HtmlParseError(
            f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", found "</{end_name}>"'
        )
    if utf16 > top.utf16_offset:
        _close_entity(top, utf16 - top.utf16_offset, entities, out)
    return i


def _close_entity(top: _Open, length: int, entities: list[dict[str, Any]], out: bytearray) -> None:
    offset = top.utf16_offset
    simple = _SIMPLE_TYPES.get(top.tag)
    if simple is not None:
        entities.append({"type": simple, "offset": offset, "length": length})
    elif top.tag == "tg-emoji":
        if not top.argument.isdigit() or not 0 < int(top.argument) < 2**63:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entities.append(
            {"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": top.argument}
        )
    elif top.tag == "a":
        url = top.argument or bytes(out[top.byte_offset :]).decode("utf-8", "replace")
        user = _USER_LINK.match(url.strip())
        if user:
            entities.append(
                {"type": "text_mention", "offset": offset, "length": length, "user": {"id": int(user[1])}}
            )
        elif (checked := _check_url(url)) is not None:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": checked})
    elif top.tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and (last["offset"], last["length"]) == (offset, length)
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif top.tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and (last["offset"], last["length"]) == (offset, length)
            and top.argument
        ):
            last["language"] = top.argument
        else:
            code: dict[str, Any] = {"type": "code", "offset": offset, "length": length}
            if top.argument:
                code["language"] = top.argument  # kept until the end, for a <pre> around it
            entities.append(code)
    elif top.tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


def trim(formatted: FormattedText) -> FormattedText:
    """Strip surrounding whitespace, as Telegram does to message text, fixing entities."""
    text = formatted.text
    stripped = text.strip(_TRIM)
    if stripped == text:
        return formatted
    left = utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
    size = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in formatted.entities:
        start = max(0, entity["offset"] - left)
        end = min(size, entity["offset"] + entity["length"] - left)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, tuple(kept))


def prepare_text(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None = None,
    *,
    limit: int = TEXT_LIMIT,
) -> FormattedText:
    """Message text as Telegram stores it: parsed (HTML or explicit entities), trimmed, length-checked.

    Raises :class:`HtmlParseError` for bad HTML and :class:`TextLengthError` when the parsed text is
    empty or longer than ``limit`` code points (the limit applies *after* parsing).
    """
    if parse_mode is not None:
        formatted = parse_html(text)
    else:
        formatted = FormattedText(text, tuple(dict(e) for e in entities or ()))
    formatted = trim(formatted)
    if not formatted.text:
        raise TextLengthError("empty")
    if len(formatted.text) > limit:
        raise TextLengthError("too_long")
    return formatted
