"""Repairing damaged text at ingest: the file's encoding, mojibake and stray control characters.

Text is repaired where a kept library can tell what it was (charset-normalizer names a file's
encoding, ftfy undoes mojibake such as ``donâ€™t`` and a Windows-1252 apostrophe decoded as
U+0092); every repair is counted in the manifest. What stays unusable (a NUL byte, a lone
surrogate, bytes no encoding explains) is left for the validator to quarantine.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from textops._text import decode_escaped, lone_surrogate, printable

if TYPE_CHECKING:
    from textops.data._schema import TextDecoding

__all__ = [
    "AUTO",
    "EncodingGuess",
    "Repair",
    "clean_text",
    "decode_escaped",
    "find_control_char",
    "guess_encoding",
    "lone_surrogate",
    "printable",
    "repair_text",
    "sniff_encoding",
    "strip_controls",
]

#: ``encoding="auto"``: detect it; stray bytes that are not UTF-8 are decoded as Windows-1252
AUTO = "auto"
#: bytes of a file's head that encoding detection reads
SNIFF_BYTES = 1 << 20

# Lone surrogates U+DC80..U+DCFF are how `errors="surrogateescape"` marks undecodable bytes.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# C0 and C1 controls and DEL, except tab, newline and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class Repair:
    """Names of the repairs counted in the manifest's ``repairs``."""

    ENCODING = "encoding"  # bytes that were not UTF-8, decoded as Windows-1252
    HTML_ENTITIES = "html_entities"  # &amp; and the like turned into characters
    MOJIBAKE = "mojibake"  # text decoded with the wrong encoding, restored by ftfy
    CONTROL_CHARACTERS = "control_characters"  # control characters stripped
    NON_TEXT = "non_text"  # symbols, emoji and the like removed (keep=text_punct)


def _normal_codec(name: str) -> str:
    return codecs.lookup(name).name


#: encodings a file is commonly in: Unicode, the Windows/ISO/Mac code page of each major
#: script, and the CJK ones. Anything else (DOS code pages such as cp775, mac-latin2, the rarer
#: ISO parts) is a rare code page: chosen only on strong evidence, and said out loud
COMMON_ENCODINGS = frozenset(
    _normal_codec(n)
    for n in (
        "utf-8", "utf-16", "utf-32", "cp1252", "latin-1", "iso8859-15", "mac-roman", "cp1250",
        "iso8859-2", "cp1251", "koi8-r", "koi8-u", "iso8859-5", "cp1253", "iso8859-7", "cp1254",
        "iso8859-9", "cp1255", "iso8859-8", "cp1256", "iso8859-6", "cp1257", "cp874", "tis-620",
        "gb18030", "gbk", "gb2312", "big5", "big5hkscs", "shift_jis", "cp932", "euc_jp",
        "iso2022_jp", "euc_kr", "cp949",
    )
)  # fmt: skip
#: how much messier than the best guess Windows-1252 may read a file and still be chosen over
#: a rare code page (charset-normalizer's chaos: a share of odd characters)
WESTERN_MARGIN = 0.05


@dataclass(frozen=True)
class EncodingGuess:
    """A file's detected encoding, and whether that guess can be trusted: a guess that is
    not ``confident`` is said out loud, naming ``--encoding``."""

    encoding: str
    confident: bool = True
    #: why the guess is not confident (the other candidates, a rare code page)
    note: str = ""


def _western_chaos(sample: bytes) -> float:
    """How messy ``sample`` reads as Windows-1252 (its five undefined bytes as Latin-1)."""
    from charset_normalizer.md import mess_ratio

    from textops._text import decode_escaped

    text, _ = decode_escaped(sample.decode("cp1252", errors="surrogateescape"))
    return float(mess_ratio(text, 1.0))


def guess_encoding(head: bytes) -> EncodingGuess:
    """The encoding of a file that starts with ``head``: UTF-8 when the head is UTF-8 (a
    multi-byte character cut at the end is fine), UTF-16/32 by their byte-order mark, else
    charset-normalizer's best guess, except that Windows-1252 wins when it reads the bytes
    as cleanly as the best (its language scores are noise on a few accented words, and
    Windows-1252 is by far the most common code page of exported spreadsheets and tweets),
    and over a rare code page unless that one reads them clearly better. A guess between
    close candidates, or of a rare code page, is not confident."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return EncodingGuess("utf-32")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return EncodingGuess("utf-16")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return EncodingGuess("utf-8-sig")
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    # a legacy file often holds some UTF-8 rows too (pasted in, or mojibake saved again): those
    # bytes decode as mojibake that ftfy restores, but they would mislead the detector
    sample = _UTF8_SEQUENCE.sub(b"", head)
    results = charset_normalizer.from_bytes(sample)
    best = results.best()
    if best is None:
        return EncodingGuess("cp1252", False, "no encoding reads the bytes cleanly")
    tied = [m for m in results if m.chaos <= best.chaos + 0.01]
    if any("cp1252" in m.could_be_from_charset for m in tied):
        return EncodingGuess("cp1252")
    chosen = _normal_codec(best.encoding)
    others = [_normal_codec(m.encoding) for m in results if m is not best][:3]
    if chosen not in COMMON_ENCODINGS:
        if _western_chaos(sample) <= best.chaos + WESTERN_MARGIN:
            return EncodingGuess(
                "cp1252", False,
                f"read nearly as cleanly as the rare code page {chosen}; rows may mix encodings",
            )  # fmt: skip
        return EncodingGuess(chosen, False, f"{chosen} is a rare code page")
    close = [m for m in results if m is not best and m.chaos <= best.chaos + 0.01]
    if close:
        names = ", ".join(_normal_codec(m.encoding) for m in close[:3])
        return EncodingGuess(chosen, False, f"{names} read the bytes about as cleanly")
    return EncodingGuess(chosen, note=f"next candidates: {', '.join(others)}" if others else "")


def sniff_encoding(head: bytes) -> str:
    """The encoding :func:`guess_encoding` guesses for a file that starts with ``head``."""
    return guess_encoding(head).encoding


def find_control_char(text: str) -> str | None:
    """The first control character (other than tab and line breaks) as ``U+XXXX``, or None."""
    m = _CONTROL.search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def strip_controls(text: str) -> str:
    """``text`` without control characters; those that separate words (vertical tab, form
    feed, the information separators, NEL) become a space."""
    return _CONTROL.sub(lambda m: " " if m.group().isspace() else "", text)


@cache
def _ftfy_config() -> Any:
    import ftfy

    # only what undoes damage: no HTML unescaping, quote uncurling, width folding or
    # normalisation (the dataset's normalisation options do that, and are recorded)
    return ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        remove_control_chars=False,
        normalization=None,
        explain=False,
    )


@dataclass(frozen=True, slots=True)
class Repaired:
    text: str
    mojibake: bool
    stripped: bool


def clean_text(text: str, decoding: TextDecoding) -> str:
    """``text`` repaired as a dataset's texts were (a :class:`TextDecoding`): HTML entities
    when asked, mojibake, control characters. What a model does to a text before its
    normalisation, so a served text is the string its training twin became."""
    if decoding.unescape_html and "&" in text:
        import html

        text = html.unescape(text)
    if decoding.repair_mojibake:
        return repair_text(text, decoding.control_chars).text
    if decoding.control_chars == "strip" and _CONTROL.search(text) is not None:
        return strip_controls(text)
    return text


def repair_text(text: str, control_chars: Literal["strip", "reject"]) -> Repaired:
    """Undo mojibake (ftfy), then strip the control characters left when ``control_chars``
    is ``"strip"``. ASCII text cannot hold mojibake and skips ftfy."""
    mojibake = False
    if not text.isascii():
        import ftfy

        fixed = ftfy.fix_text(text, _ftfy_config())
        mojibake = fixed != text
        text = fixed
    stripped = False
    if control_chars == "strip" and _CONTROL.search(text) is not None:
        text = strip_controls(text)
        stripped = True
    return Repaired(text, mojibake, stripped)
