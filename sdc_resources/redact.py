"""Keeping secrets out of every error text SDC raises, prints, logs or stores.

Servers echo what they were sent (a 401 body that repeats the ``Authorization`` header, a proxy's error
page): any text that came from outside passes :func:`redact` before it goes into an exception, a log
line, run metadata or a quarantine file. It removes the values of the secrets SDC is configured with
(environment variables named like keys, tokens, secrets and passwords, and any value the caller names)
and whatever follows ``Bearer``, ``Authorization:``, ``api_key=`` and their kin.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter values are too likely to be ordinary words
SECRET_VARIABLE = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_VALUE = r"[^\s\"',;}&]+"
PATTERNS = (
    re.compile(r"(?i)\b(bearer)(\s+)" + _VALUE),
    re.compile(r"(?i)(authorization|x-api-key|api[_-]?key|access[_-]?token|password|secret)([\"']?\s*[:=]\s*[\"']?)"
               r"(?:(?:bearer|basic|token)\s+)?" + _VALUE),
)  # fmt: skip


def configured_secrets() -> list[str]:
    """The values of environment variables whose names say they hold a secret."""
    return [
        value for name, value in os.environ.items() if SECRET_VARIABLE.search(name) and len(value) >= MIN_SECRET_LENGTH
    ]


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without the configured secrets, ``secrets``, or anything after an authorization keyword."""
    values = {s for s in (*configured_secrets(), *secrets) if s and len(s) >= MIN_SECRET_LENGTH}
    for value in sorted(values, key=len, reverse=True):
        for form in {value, quote(value, safe=""), value.encode("unicode_escape").decode()}:
            text = text.replace(form, MASK)
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return text
