"""Decoding dropped text files whose encoding nobody wrote down."""

from __future__ import annotations

import codecs

from sdc_assets.file_drop.records import SourceParseError


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        if encoding != "utf-8":
            raise SourceParseError(file, "line 1", f"invalid {encoding} text") from None
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise SourceParseError(file, "line 1", "contains NUL bytes: not a text export")
    return text
