"""Decoding dropped text files whose encoding nobody wrote down, one line at a time.

A file's encoding is decided once: its BOM (UTF-8, UTF-16), else UTF-16 without a BOM when every
other byte is NUL, else UTF-8 unless its non-ASCII lines read better as Windows-1252. Lines are then
decoded on their own, so one line with invalid bytes (or a NUL byte) is reported as that line's
problem while every other line keeps the file's encoding.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sdc_assets.file_drop.records import SourceParseError

SNIFF_BYTES = 64 * 1024
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
BINARY_SHARE = 0.1  # more control bytes than this in the file's start: not a text export
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1b")
_INVALID_RUN = re.compile("\ufffd+")


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
    """The file's encoding, read from its BOM or its bytes (a chunk at a time: memory stays flat on a file of
    one long line); the stream is left at its start."""
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
    good = bad = 0  # characters beyond ASCII decoded as UTF-8, and runs of bytes that are not UTF-8
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while chunk := stream.read(SNIFF_BYTES):
        if chunk.isascii():
            continue
        text = decoder.decode(chunk)
        bad += len(_INVALID_RUN.findall(text))  # one broken character of several bytes counts once
        good += sum(1 for c in text if c > "\x7f") - text.count("\ufffd")
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
        if b"\x00" in raw:  # the line's text keeps its bytes visible (\x00, \xe9) for the quarantine
            yield Line(
                number, raw.decode(encoding, errors="backslashreplace").replace("\x00", "\\x00"), "contains a NUL byte"
            )
        elif encoding == "cp1252":  # every byte is a character, but for five unused ones
            yield Line(number, raw.decode(encoding, errors="replace"))
        else:
            try:
                yield Line(number, raw.decode(encoding))
            except UnicodeDecodeError as exc:
                reason = f"has bytes that are not UTF-8 at column {exc.start + 1} ({raw[exc.start : exc.start + 4]!r})"
                yield Line(number, raw.decode(encoding, errors="backslashreplace"), reason)


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


class Utf8Stream(io.RawIOBase):
    """A binary stream's text, read in ``encoding`` and handed on as UTF-8, for byte-level parsers (ijson).

    Bytes that are not valid in the encoding, NUL bytes and JSON escapes of lone surrogates (``\\ud800``, which
    are no text) become U+FFFD, so the parser reads on past them; ``damaged`` names what was found, so that a
    record holding U+FFFD can be refused with the reason."""

    def __init__(self, stream: BinaryIO, encoding: str):
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._lenient = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = b""
        self._tail = ""  # the end of the last chunk, when a surrogate escape may continue in the next
        self._done = False
        self.damaged: set[str] = set()

    def readable(self) -> bool:
        return True

    def _decode(self, chunk: bytes) -> str:
        final = not chunk
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            self.damaged.add("bytes that are not valid in the file's encoding")
            text = self._lenient.decode(chunk, final=final)
            self._decoder.reset()
        else:
            self._lenient.decode(chunk, final=final)  # kept in step, for the chunk that may fail later
        if "\x00" in text:
            self.damaged.add("a NUL byte")
            text = text.replace("\x00", "\ufffd")
        text, self._tail = self._tail + text, ""
        if not final and (cut := text.rfind("\\", len(text) - 12)) >= 0:
            text, self._tail = text[:cut], text[cut:]  # an escape may go on in the next chunk
        if _LONE_SURROGATE.search(text):
            self.damaged.add("a lone surrogate escape (no Unicode text)")
            text = _LONE_SURROGATE.sub(r"\\ufffd", text)
        return text

    def readinto(self, buffer) -> int:
        while not self._pending and not self._done:
            chunk = self._stream.read(SNIFF_BYTES)
            self._done = not chunk
            self._pending = self._decode(chunk).encode("utf-8")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def utf8_stream(stream: BinaryIO, file: str) -> tuple[io.BufferedReader, Utf8Stream]:
    """The file as UTF-8 whatever its encoding (see :func:`detect_encoding`), buffered, and its decoder."""
    raw = Utf8Stream(stream, detect_encoding(stream, file))
    return io.BufferedReader(raw, buffer_size=SNIFF_BYTES), raw
