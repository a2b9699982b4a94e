"""Decoding dropped text files whose encoding nobody wrote down, one line at a time.

A file's encoding is decided once: its BOM (UTF-8, UTF-16), else UTF-16 without a BOM when every
other byte is NUL, else UTF-8 unless its non-ASCII lines read better as Windows-1252. Lines are then
decoded on their own, so one line with invalid bytes (or a NUL byte) is reported as that line's
problem while every other line keeps the file's encoding.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sdc_assets.file_drop.records import SourceParseError

SNIFF_BYTES = 64 * 1024
BINARY_SHARE = 0.1  # more control bytes than this in the file's start: not a text export
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1b")


@dataclass(frozen=True)
class Line:
    """One physical line (with its line ending) or, when ``problem`` is set, why it cannot be used."""

    number: int
    text: str
    problem: str | None = None


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NUL bytes fill the odd/even positions of mostly-ASCII UTF-16 text."""
    sample = head[: len(head) // 2 * 2]
    if len(sample) < 4:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def detect_encoding(stream: BinaryIO, file: str) -> str:
    """The file's encoding, read from its BOM or its bytes; the stream is left at its start."""
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if utf16 := _utf16_without_bom(head):
        return utf16
    if head and len(head) - len(head.translate(None, _CONTROL)) > BINARY_SHARE * len(head):
        raise SourceParseError(file, "line 1", "binary data (control bytes throughout), not a text export")
    good = bad = 0
    for raw in stream:
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    stream.seek(0)
    return "utf-8" if good >= bad else "cp1252"


def decoded_lines(stream: BinaryIO, file: str) -> Iterator[Line]:
    """Every line of the file, decoded in the file's encoding, numbered from 1."""
    encoding = detect_encoding(stream, file)
    if encoding.startswith("utf-16"):
        yield from _utf16_lines(stream, file, encoding)
        return
    if encoding == "utf-8-sig":
        stream.read(len(codecs.BOM_UTF8))
        encoding = "utf-8"
    for number, raw in enumerate(stream, start=1):
        if b"\x00" in raw:
            yield Line(number, raw.replace(b"\x00", b"").decode(encoding, errors="replace"), "contains a NUL byte")
        elif encoding == "cp1252":  # every byte is a character, but for five unused ones
            yield Line(number, raw.decode(encoding, errors="replace"))
        else:
            try:
                yield Line(number, raw.decode(encoding))
            except UnicodeDecodeError as exc:
                reason = f"has bytes that are not UTF-8 at column {exc.start + 1} ({raw[exc.start : exc.start + 4]!r})"
                yield Line(number, raw.decode(encoding, errors="replace"), reason)


def _utf16_lines(stream: BinaryIO, file: str, encoding: str) -> Iterator[Line]:
    reader = io.TextIOWrapper(stream, encoding=encoding, newline="")
    number = 0
    try:
        for number, text in enumerate(reader, start=1):
            yield Line(number, text, "contains a NUL character" if "\x00" in text else None)
    except UnicodeDecodeError:
        raise SourceParseError(
            file, f"line {number + 1}", f"invalid {encoding} text; the lines after it could not be read"
        ) from None
    finally:
        reader.detach()
