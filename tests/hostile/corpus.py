"""The hostile-input corpus: every case an attacker (a hostile source, a prober of the HTTP port, a
forged Telegram update) may send, with the clear error the user-visible behaviour must be.

Generated here rather than stored as files: several cases are large by design (a DOCTYPE pushed past
64 KB) and their construction *is* the documentation of the attack. Each case is a small frozen record;
the test modules in this package serve or post them over real local HTTP and assert the error and
that nothing else was affected.
"""

from __future__ import annotations

from dataclasses import dataclass

GOOD_ITEM = "<item><title>عاجل: خبر سليم</title><link>https://good.example.com/1</link></item>"


def _rss(items: str, prolog: str = "") -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def _laughs(ref: str) -> str:
    """Nine levels of ten references each: 10^9 "lol"s if ever expanded (``ref`` spells ``&name;``)."""
    decls = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        inner = "lol" if level == 1 else f"lol{level - 1}"
        decls.append(f'<!ENTITY lol{level} "{ref.format(inner) * 10}">')
    return "".join(decls)


_BOMB_ITEM = "<item><title>عاجل: &lol9;</title><link>https://x.example.com/1</link></item>"


@dataclass(frozen=True, slots=True)
class HostileFeed:
    name: str
    body: bytes
    error: str  # a fragment of the ParseError message the source's last_error must show


HOSTILE_FEEDS: tuple[HostileFeed, ...] = (
    HostileFeed(
        "billion-laughs-plain",
        _rss(_BOMB_ITEM, f"<!DOCTYPE rss [{_laughs('&{};')}]>\n").encode(),
        "entity-expansion guard",
    ),
    HostileFeed(
        "billion-laughs-doctype-past-64k",
        _rss(_BOMB_ITEM, "<!-- " + "x" * 100_000 + f" -->\n<!DOCTYPE rss [{_laughs('&{};')}]>\n").encode(),
        "entity-expansion guard",
    ),
    HostileFeed(
        "billion-laughs-after-a-70k-processing-instruction",
        _rss(_BOMB_ITEM, "<?pad " + "y" * 70_000 + f"?>\n<!DOCTYPE rss [{_laughs('&{};')}]>\n").encode(),
        "entity-expansion guard",
    ),
    HostileFeed(
        "billion-laughs-as-character-references",
        _rss(_BOMB_ITEM, f"<!DOCTYPE rss [{_laughs('&#38;{};')}]>\n").encode(),
        "entity-expansion guard",
    ),
    HostileFeed(
        "billion-laughs-hex-character-references",
        _rss(_BOMB_ITEM, f"<!DOCTYPE rss [{_laughs('&#x26;{};')}]>\n").encode(),
        "entity-expansion guard",
    ),
    HostileFeed(
        "billion-laughs-utf16",
        _rss(_BOMB_ITEM, f"<!DOCTYPE rss [{_laughs('&#38;{};')}]>\n")
        .replace('encoding="utf-8"', 'encoding="utf-16"')
        .encode("utf-16"),
        "entity-expansion guard",
    ),
    HostileFeed(
        "quadratic-blowup",
        _rss(
            "<item><title>" + "&a;" * 2000 + "</title></item>",
            '<!DOCTYPE rss [<!ENTITY a "' + "a" * 50_000 + '">]>\n',
        ).encode(),
        "entity-expansion guard",
    ),
    HostileFeed(
        "xxe-local-file",
        _rss(
            "<item><title>&x;</title></item>", '<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        ).encode(),
        "XXE guard",
    ),
    HostileFeed(
        "xxe-parameter-entity-to-metadata",
        _rss(
            "<item><title>x</title></item>",
            '<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://169.254.169.254/x.dtd"> %p;]>\n',
        ).encode(),
        "XXE guard",
    ),
    HostileFeed("not-a-feed-html", b"<html><body><p>redirect notice</p></body></html>", "not a feed"),
    HostileFeed("empty", b"   \n", "empty body"),
    HostileFeed("binary-garbage", bytes(range(256)) * 8, "not an RSS/Atom feed"),
)

HARMLESS_FEEDS: tuple[tuple[str, bytes], ...] = (
    # an external DTD reference (RSS 0.91's Netscape DOCTYPE) declares nothing and fetches nothing
    (
        "netscape-doctype",
        _rss(
            GOOD_ITEM,
            '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n',
        ).encode(),
    ),
    # an article *about* XXE quoting a declaration in CDATA or a comment is still news
    (
        "entity-quoted-in-cdata",
        _rss(
            "<item><title><![CDATA[شرح ثغرة <!ENTITY x SYSTEM>]]></title>"
            "<link>https://good.example.com/2</link></item><!-- <!ENTITY y 'z'> -->"
        ).encode(),
    ),
)


@dataclass(frozen=True, slots=True)
class HostileRequest:
    """One request to the HTTP API: the body as raw bytes, the status and error it must get."""

    name: str
    method: str
    path: str
    body: bytes | None
    status: int
    error: str  # fragment of the JSON ``error``
    operation: str | None  # the OpenAPI operationId whose document must list ``status``
    headers: tuple[tuple[str, str], ...] = ()


_ALERT = '{"headline": "خبر", "topics": ["world"]}'

HOSTILE_CMS_REQUESTS: tuple[HostileRequest, ...] = (
    HostileRequest(
        "nesting-30000-arrays", "POST", "/api/v1/alerts", b"[" * 30_000, 400, "nests deeper", "createAlert"
    ),
    HostileRequest(
        "nesting-40-objects-in-a-field",
        "POST",
        "/api/v1/alerts",
        ('{"headline": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}").encode(),
        400,
        "nests deeper",
        "createAlert",
    ),
    HostileRequest(
        "truncated-json", "POST", "/api/v1/alerts", b'{"headline": ', 400, "not valid JSON", "createAlert"
    ),
    HostileRequest(
        "invalid-utf8", "POST", "/api/v1/alerts", b'\xff\xfe{"a"\xc3', 400, "not valid JSON", "createAlert"
    ),
    HostileRequest(
        "integer-with-5000-digits",
        "POST",
        "/api/v1/alerts",
        b'{"headline": "x", "topics": [' + b"9" * 5000 + b"]}",
        400,
        "not valid JSON",
        "createAlert",
    ),
    HostileRequest(
        "lone-surrogate-key",
        "POST",
        "/api/v1/alerts",
        b'{"headline": "x", "topics": ["world"], "\\ud800": 1}',
        422,
        "valid string",
        "createAlert",
    ),
    HostileRequest(
        "headline-of-controls-only",
        "POST",
        "/api/v1/alerts",
        b'{"headline": "\\u0000\\u0007\\u202e\\u2066\\ud800\\u200b", "topics": ["world"]}',
        422,
        "at least 1 character",
        "createAlert",
    ),
    HostileRequest(
        "body-over-64-kib",
        "POST",
        "/api/v1/alerts",
        ('{"headline": "' + "x" * 70_000 + '", "topics": ["world"]}').encode(),
        413,
        "larger than",
        "createAlert",
    ),
    HostileRequest(
        "idempotency-key-with-spaces",
        "POST",
        "/api/v1/alerts",
        _ALERT.encode(),
        400,
        "Idempotency-Key",
        "createAlert",
        (("Idempotency-Key", "a key with spaces"),),
    ),
    HostileRequest("id-arabic-indic-digit", "GET", "/api/v1/alerts/١", None, 422, "ASCII digits", "getAlert"),
    HostileRequest("id-2-31", "GET", "/api/v1/alerts/2147483648", None, 404, "not found", "getAlert"),
    HostileRequest(
        "id-2-63", "GET", "/api/v1/alerts/9223372036854775808", None, 404, "not found", "getAlert"
    ),
    HostileRequest(
        "id-5000-digits", "GET", "/api/v1/alerts/" + "9" * 5000, None, 404, "not found", "getAlert"
    ),
    HostileRequest("id-negative", "GET", "/api/v1/alerts/-1", None, 422, "ASCII digits", "getAlert"),
    HostileRequest("id-nul", "GET", "/api/v1/alerts/%00", None, 422, "ASCII digits", "getAlert"),
    HostileRequest(
        "correction-id-2-31",
        "POST",
        "/api/v1/alerts/2147483648/correction",
        b'{"text": "x"}',
        404,
        "not found",
        "correctAlert",
    ),
    HostileRequest(
        "retraction-id-2-63",
        "POST",
        "/api/v1/alerts/9223372036854775808/retraction",
        None,
        404,
        "not found",
        "retractAlert",
    ),
    HostileRequest(
        "correction-of-controls-only",
        "POST",
        "/api/v1/alerts/{alert}/correction",
        b'{"text": "\\u0000\\u202e"}',
        422,
        "at least 1 character",
        "correctAlert",
    ),
    HostileRequest(
        "retraction-deep-nesting",
        "POST",
        "/api/v1/alerts/{alert}/retraction",
        b"[" * 5000 + b"]" * 5000,
        400,
        "nests deeper",
        "retractAlert",
    ),
    HostileRequest("unknown-route", "GET", "/api/v1/../../etc/passwd", None, 404, "Not Found", None),
    HostileRequest("wrong-method", "DELETE", "/api/v1/alerts", None, 405, "Method Not Allowed", None),
)

POISONED_ALERT = {
    "headline": "\u0000عاجل\u0007 \u202eانفجار\u2066 في\u0085 الميناء\ud800",
    "body": "سطر أول\u0000\r\nسطر\u202e ثان\u001b[31m",
    "topics": ["world"],
}
"""A valid alert full of unsafe characters: accepted, stored and pushed clean (500 on PostgreSQL before)."""
POISONED_CLEAN = {"headline": "عاجل انفجار في الميناء", "body": "سطر أول\nسطر ثان[31m"}

_UPDATE = (
    '{"update_id": 7, "message": {"message_id": 1, "date": 1700000000, '
    '"chat": {"id": 4343, "type": "private", "first_name": "Eve"}, '
    '"from": {"id": 4343, "is_bot": false, "first_name": "Eve"}, "text": "hi"}}'
)

HOSTILE_UPDATES: tuple[HostileRequest, ...] = (
    HostileRequest(
        "malformed-json", "POST", "", b'{"update_id": 1, ', 400, "not valid JSON", "telegramWebhook"
    ),
    HostileRequest("deep-nesting", "POST", "", b"[" * 30_000, 400, "nests deeper", "telegramWebhook"),
    HostileRequest("not-an-object", "POST", "", b"[1, 2]", 400, "JSON object", "telegramWebhook"),
    HostileRequest(
        "update-id-not-int",
        "POST",
        "",
        b'{"update_id": "x"}',
        400,
        "not a Telegram update",
        "telegramWebhook",
    ),
    HostileRequest(
        "message-not-an-object",
        "POST",
        "",
        b'{"update_id": 3, "message": "hi"}',
        400,
        "not a Telegram update",
        "telegramWebhook",
    ),
    HostileRequest(
        "body-over-64-kib",
        "POST",
        "",
        b'{"update_id": 4, "x": "' + b"y" * 70_000 + b'"}',
        413,
        "larger than",
        "telegramWebhook",
    ),
    HostileRequest(
        "wrong-secret",
        "POST",
        "",
        _UPDATE.encode(),
        401,
        "wrong secret",
        "telegramWebhook",
        (("X-Telegram-Bot-Api-Secret-Token", "wrong"),),
    ),
)

HOSTILE_HEADER_LINES: tuple[tuple[str, bytes, bytes], ...] = (
    # (name, header line sent on a raw socket, start of the status line it must get)
    ("control-char-in-authorization", b"Authorization: Bearer tok\x01en", b"HTTP/1.0 400"),
    ("header-without-colon", b"Authorization Bearer token", b"HTTP/1.0 400"),
    ("header-line-of-100-kib", b"X-Junk: " + b"j" * 100_000, b"HTTP/1.0 400"),
    ("non-ascii-bearer-token", 'Authorization: Bearer سر\\"%'.encode(), b"HTTP/1.1 401"),
    ("invalid-utf8-bearer-token", b"Authorization: Bearer \xff\xfe\xc3", b"HTTP/1.1 401"),
    ("nul-in-idempotency-key", b"Idempotency-Key: a\x00b", b"HTTP/1.0 400"),
)
"""Header lines an attacker may send; aiohttp's parser answers the malformed ones itself (400)."""


@dataclass(frozen=True, slots=True)
class HostileSource:
    """A hostile body for a JSON endpoint or an HTML listing page (``kind`` and its source options)."""

    name: str
    kind: str
    body: bytes
    error: str
    options: tuple[tuple[str, dict[str, str]], ...]


_JSON = (("json", {"items": "items", "title": "title", "link": "url"}),)
_HTML = (("html", {"item": "ul.news li", "title": "a"}),)

HOSTILE_SOURCES: tuple[HostileSource, ...] = (
    HostileSource("json-nesting-100000", "json", b"[" * 100_000, "not valid JSON", _JSON),
    HostileSource(
        "json-integer-of-5000-digits",
        "json",
        b'{"items": [{"title": "x", "n": ' + b"9" * 5000 + b"}]}",
        "not valid JSON",
        _JSON,
    ),
    HostileSource("json-items-not-a-list", "json", b'{"items": {"title": "x"}}', "not a list", _JSON),
    HostileSource(
        "html-nested-50000-deep",
        "html",
        ("<html><body>" + "<div>" * 50_000 + '<ul class="news"><li><a href="/1">خبر</a></li></ul>').encode(),
        "matched nothing",
        _HTML,
    ),
)
