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
