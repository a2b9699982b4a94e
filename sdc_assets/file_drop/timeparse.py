"""Parsing the date formats the file-drop sources write, into aware UTC datetimes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo

# ScreenConnect writes UTC times in the exporting machine's culture.
CULTURE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
)
_ISO_FORMAT = "iso"

_ST_AT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\s*@\s*(\d{1,2})h\s*(\d{1,2})m\s*(\d{1,2})s(?:\s*(\d{1,3})ms)?$")
_ST_HUMAN_FORMATS = ("%B %d, %Y %I:%M%p", "%B %d, %Y %I:%M %p", "%b %d, %Y %I:%M%p", "%B %d, %Y %H:%M")
_DIGITS = re.compile(r"^\d{9,14}$")


def _aware(value: datetime, local_zone: tzinfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone)
    return value.astimezone(UTC)


def parse_iso(value: str, local_zone: tzinfo) -> datetime | None:
    """ISO 8601 with or without offset (naive means ``local_zone``); date-only is local midnight."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return _aware(datetime.combine(date.fromisoformat(text), time()), local_zone)
        return _aware(datetime.fromisoformat(text), local_zone)
    except ValueError:
        return None


def _parse_culture(text: str, fmt: str) -> datetime:
    return datetime.fromisoformat(text) if fmt == _ISO_FORMAT else datetime.strptime(text, fmt)


def detect_culture_format(values: Iterable[str]) -> str | None:
    """The format that reads most of a file's non-empty time values, or None.

    Deciding per file settles ambiguous days such as ``3/10/2025``: a file has
    one culture, so ``13/10/2025`` elsewhere in it rules out month-first.
    """
    samples = [v.strip() for v in values if v and v.strip()]
    if not samples:
        return _ISO_FORMAT
    best, best_count = None, 0
    for fmt in (_ISO_FORMAT, *CULTURE_FORMATS):
        count = sum(1 for sample in samples if _parses(sample, fmt))
        if count > best_count:
            best, best_count = fmt, count
        if count == len(samples):
            break
    return best


def _parses(text: str, fmt: str) -> bool:
    try:
        _parse_culture(text, fmt)
    except ValueError:
        return False
    return True


def parse_culture_time(value: str, fmt: str | None) -> datetime | None:
    """A ScreenConnect UTC time; empty and year-1 ("unset") values are None.

    Raises ValueError when the value does not parse in the file's format.
    """
    text = (value or "").strip()
    if not text:
        return None
    formats = (fmt,) if fmt else (_ISO_FORMAT, *CULTURE_FORMATS)
    for candidate in formats:
        try:
            parsed = _parse_culture(text, candidate)
        except ValueError:
            continue
        if parsed.year == 1:
            return None
        return _aware(parsed, UTC)
    raise ValueError(f"unrecognized time {text!r}")


def parse_sillytavern_date(value: object, local_zone: tzinfo) -> datetime | None:
    """Every historical SillyTavern ``send_date``/``create_date`` form, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_epoch_ms(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _DIGITS.match(text):
        return _from_epoch_ms(float(text))
    if match := _ST_AT.match(text):
        y, mo, d, h, mi, s, ms = match.groups()
        try:
            naive = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), int(ms or 0) * 1000)
        except ValueError:
            return None
        return _aware(naive, local_zone)
    if (iso := parse_iso(text.replace("Z", "+00:00"), local_zone)) is not None:
        return iso
    compact = re.sub(r"\s+", " ", text)
    for fmt in _ST_HUMAN_FORMATS:
        try:
            return _aware(datetime.strptime(compact, fmt), local_zone)
        except ValueError:
            continue
    return None


def _from_epoch_ms(value: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(value / 1000.0, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
