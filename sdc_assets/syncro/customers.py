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
    "machine_names": pl.List(pl.String),
}


def normalize_email(value) -> str | None:
    value = str(value or "").strip().lower()
    return value if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) else None


_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?|extension|toestel|tst\.?|#)\s*\d{1,6}\s*$")


def normalize_phone(value) -> str | None:
    """Digits only, an extension left off (``657.325.3258 x330``), Dutch and Belgian international prefixes
    folded to the national 0: +31 6 → 06."""
    digits = re.sub(r"\D", "", _EXTENSION.sub("", str(value or "")))
    for prefix in ("0031", "0032", "31", "32"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 9:
            digits = "0" + digits[len(prefix) :]
            break
    return digits if len(digits) >= 6 else None


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
        emails = _unique([normalize_email(customer.get("email"))])
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
                "machine_names": sorted(machines_of.get(customer_id, set())),
            }
        )
    return pl.DataFrame(rows, schema=CACHE_SCHEMA)
