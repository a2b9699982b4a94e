"""The customer cache: Syncro's customers, contacts and machines as one table that linking matches against."""

import re

import polars as pl

# Mail providers many customers share: their domain says nothing about which customer wrote.
SHARED_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.nl",
        "outlook.com",
        "outlook.nl",
        "live.com",
        "live.nl",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "ziggo.nl",
        "kpnmail.nl",
        "kpnplanet.nl",
        "planet.nl",
        "home.nl",
        "hetnet.nl",
        "xs4all.nl",
        "casema.nl",
        "upcmail.nl",
        "chello.nl",
        "online.nl",
        "telfort.nl",
        "zeelandnet.nl",
        "quicknet.nl",
        "telenet.be",
        "skynet.be",
    }
)

CACHE_SCHEMA = {
    "customer_id": pl.String,
    "business_name": pl.String,
    "person_name": pl.String,
    "display_name": pl.String,
    "disabled": pl.Boolean,
    "emails": pl.List(pl.String),
    "email_domains": pl.List(pl.String),
    "phones": pl.List(pl.String),
    "contacts": pl.List(
        pl.Struct(
            {
                "contact_id": pl.String,
                "name": pl.String,
                "email": pl.String,
                "phone": pl.String,
                "mobile": pl.String,
                "title": pl.String,
            }
        )
    ),
    "contact_emails": pl.List(pl.String),
    "names": pl.List(pl.String),
    "aliases": pl.List(pl.String),
    "domains": pl.List(pl.String),
    "machine_names": pl.List(pl.String),
    "codes": pl.List(pl.String),
    "streets": pl.List(pl.String),
    "cities": pl.List(pl.String),
}
# Custom fields (``properties``, keyed by labels each MSP chooses) read by what their label says they hold.
CODE_LABELS = ("nummer", "number", "nr", "code", "kvk", "btw", "vat", "ref", "debiteur", "account")
ALIAS_LABELS = (
    "alias", "naam", "name", "handelsnaam", "trade", "aka", "known", "voorheen", "formerly", "afkorting",
    "roepnaam", "bijnaam", "nickname",
)  # fmt: skip
DOMAIN_LABELS = ("domein", "domain", "website", "web", "url", "site")
MACHINE_LABELS = (
    "werkplek", "pc", "computer", "machine", "server", "device", "apparaat", "laptop", "host", "asset", "systemen",
)  # fmt: skip
SECOND_LEVEL = {"co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "com.au", "co.nz", "co.za"}
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HOST_IN_TEXT = re.compile(r"(?i)\b(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})\b")
_MACHINE_SHAPE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_-]{2,62}$")  # a letter in it: "10" is a count


# Endings of file names, not of domains: ``chat - 2025-04-01@08h02m11s.jsonl`` holds no address.
FILE_ENDINGS = frozenset(
    {"json", "jsonl", "csv", "txt", "log", "xml", "pdf", "doc", "docx", "xls", "xlsx", "png", "jpg", "jpeg", "gif",
     "exe", "msi", "zip", "ps1", "bat", "cmd", "ini", "cfg", "dll", "tmp", "bak", "html", "htm", "php"}
)  # fmt: skip


def normalize_email(value) -> str | None:
    value = str(value or "").strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,24}", value) or value.rsplit(".", 1)[1] in FILE_ENDINGS:
        return None
    return value


# Country codes folded to the national trunk 0 (NL, BE, UK, DE, FR, LU, CH, AT), with 00 or + written or not.
INTERNATIONAL_PREFIXES = [f"00{c}" for c in ("31", "32", "44", "49", "33", "352", "41", "43")] + [
    "31", "32", "44", "49", "33", "352", "41", "43",
]  # fmt: skip
NATIONAL_DIGITS = {"32": 8}  # digits after the country code, at least: a Belgian landline has 8 (+32 11 22 63 40)
_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?|extension|toestel|tst\.?|#)\s*\d{1,6}\s*$")


def normalize_phone(value) -> str | None:
    """Digits only, an extension left off (``657.325.3258 x330``), Dutch and Belgian international prefixes
    folded to the national 0: +31 6 → 06, +49 241 → 0241."""
    text = _EXTENSION.sub("", str(value or "")).replace("(0)", "")  # +44 (0)113 …: the trunk 0 is not dialled
    digits = re.sub(r"\D", "", text)
    for prefix in INTERNATIONAL_PREFIXES:
        if digits.startswith(prefix) and len(digits) - len(prefix) >= NATIONAL_DIGITS.get(prefix[-2:], 9):
            digits = "0" + digits[len(prefix) :]
            break
    return digits if len(digits) >= 6 else None


def registrable_domain(host: str) -> str | None:
    """The organisation's part of a host name: ``mail.zuidwijk.nl`` → ``zuidwijk.nl``, ``www.x.co.uk`` →
    ``x.co.uk``."""
    labels = host.lower().strip(".").split(".")
    if len(labels) < 2 or not labels[-1].isalpha():
        return None
    size = 3 if ".".join(labels[-2:]) in SECOND_LEVEL else 2
    return ".".join(labels[-size:]) if len(labels) >= size else None


def property_values(properties) -> dict[str, list[str]]:
    """What custom fields hold, by what their labels say: ``aliases``, ``domains``, ``machines``, ``codes``
    (customer numbers and other identifiers), ``emails`` (addresses anywhere in them)."""
    found: dict[str, list[str]] = {"aliases": [], "domains": [], "machines": [], "emails": [], "codes": []}
    for label, value in _labelled(properties):
        folded = label.lower()
        found["emails"] += [e for e in map(normalize_email, _EMAIL_IN_TEXT.findall(value)) if e]
        if any(word in folded for word in DOMAIN_LABELS):
            hosts = _HOST_IN_TEXT.findall(_EMAIL_IN_TEXT.sub(" ", value))
            found["domains"] += [d for d in map(registrable_domain, hosts) if d]
        elif any(word in folded for word in CODE_LABELS):
            code = re.sub(r"\s+", "", value)
            if len(code) >= 4 and any(c.isdigit() for c in code) and _MACHINE_SHAPE.match(code.replace(".", "-")):
                found["codes"].append(code)
        elif any(word in folded for word in MACHINE_LABELS):
            parts = re.split(r"[,;/\n\s]+", value)
            found["machines"] += [p.strip() for p in parts if _MACHINE_SHAPE.match(p.strip())]
        elif any(word in folded for word in ALIAS_LABELS) and "@" not in value and len(value) <= 80:
            found["aliases"] += [v.strip() for v in re.split(r"[;\n]+", value) if v.strip()]
    return found


def _labelled(value, label: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for key, inner in value.items() for pair in _labelled(inner, f"{label} {key}".strip())]
    if isinstance(value, list):
        return [pair for inner in value for pair in _labelled(inner, label)]
    if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
        return [(label, str(value).strip())]
    return []


def street_of(address) -> str | None:
    """The street of an address line, without its number: ``Oosterdijk 22`` → ``Oosterdijk``, ``14 Otley Road``
    → ``Otley Road``."""
    text = re.sub(r"\b\d+\s*[a-zA-Z]?\b|[,#]", " ", str(address or ""))
    return _text(text)


def email_domains(emails: list[str]) -> list[str]:
    """The domains that identify a customer: shared providers left out."""
    return sorted({e.split("@", 1)[1] for e in emails} - SHARED_MAIL_DOMAINS)


def _text(value) -> str | None:
    text = " ".join(str(value or "").split())
    return text or None


def _unique(values) -> list[str]:
    return sorted({v for v in values if v})


def _contact_row(contact: dict) -> dict:
    properties = contact.get("properties") or {}
    return {
        "contact_id": str(contact["id"]),
        "name": _text(contact.get("name")),
        "email": normalize_email(contact.get("email")),
        "phone": normalize_phone(contact.get("phone")) or normalize_phone(contact.get("mobile")),
        "mobile": normalize_phone(contact.get("mobile")),
        "title": _text(properties.get("title") if isinstance(properties, dict) else None),
    }


def customer_cache_table(customers: list[dict], contacts: list[dict], machines: list[dict]) -> pl.DataFrame:
    """One row per customer; contacts come from both the customer's embedded list and /contacts."""
    contacts_of: dict[str, dict[str, dict]] = {}
    for customer in customers:
        for contact in customer.get("contacts") or []:
            contacts_of.setdefault(str(customer["id"]), {})[str(contact["id"])] = _contact_row(contact)
    for contact in contacts:
        if contact.get("customer_id") is not None:
            contacts_of.setdefault(str(contact["customer_id"]), {})[str(contact["id"])] = _contact_row(contact)
    props_of = {str(c["id"]): property_values(c.get("properties")) for c in customers}
    for contact in contacts:
        if contact.get("customer_id") is not None and str(contact["customer_id"]) in props_of:
            more = property_values(
                {k: v for k, v in (contact.get("properties") or {}).items() if k != "title"}
                if isinstance(contact.get("properties"), dict)
                else None
            )
            for key, values in more.items():
                props_of[str(contact["customer_id"])][key] += values
    machines_of: dict[str, set[str]] = {}
    for machine in machines:
        if machine.get("customer_id") is not None and _text(machine.get("name")):
            machines_of.setdefault(str(machine["customer_id"]), set()).add(_text(machine["name"]))
    rows = []
    for customer in sorted(customers, key=lambda c: int(c["id"])):
        customer_id = str(customer["id"])
        people = sorted(contacts_of.get(customer_id, {}).values(), key=lambda c: c["contact_id"])
        person = _text(customer.get("fullname")) or _text(
            f"{customer.get('firstname') or ''} {customer.get('lastname') or ''}"
        )
        business = _text(customer.get("business_name"))
        props = props_of[customer_id]
        emails = _unique([normalize_email(customer.get("email")), *props["emails"]])
        contact_emails = _unique(c["email"] for c in people)
        rows.append(
            {
                "customer_id": customer_id,
                "business_name": business,
                "person_name": person,
                "display_name": _text(customer.get("business_then_name")) or business or person,
                "disabled": bool(customer.get("disabled")),
                "emails": emails,
                "email_domains": email_domains(emails + contact_emails),
                "phones": _unique(
                    [normalize_phone(customer.get("phone")), normalize_phone(customer.get("mobile"))]
                    + [number for c in people for number in (c["phone"], c["mobile"])]
                ),
                "contacts": people,
                "contact_emails": contact_emails,
                "names": _unique([business, person, *(c["name"] for c in people)]),
                "aliases": _unique(props["aliases"]),
                "domains": _unique([*email_domains(emails + contact_emails), *props["domains"]]),
                "machine_names": sorted(machines_of.get(customer_id, set()) | set(props["machines"])),
                "codes": _unique(props["codes"]),
                "streets": _unique([street_of(customer.get("address"))]),
                "cities": _unique([_text(customer.get("city"))]),
            }
        )
    return pl.DataFrame(rows, schema=CACHE_SCHEMA)
