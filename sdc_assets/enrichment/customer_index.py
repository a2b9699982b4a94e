"""The customer cache as lookups for linking, and the MSP whose own names and addresses are no evidence."""

import re
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from sdc_assets.enrichment.names import (
    ARTICLES,
    COMMON_WORDS,
    PARTICLES,
    STEM,
    Name,
    NameIndex,
    is_trade,
    name_key,
)  # fmt: skip

UNIQUE_WORD_LENGTH = 7
MIN_OWNED_LENGTH = 5

# Group names an RMM or remote-support tool gives machines that are not yet a customer's.
PLACEHOLDER_CLIENTS = (
    "Default", "Default Client", "Onboarding", "Nieuwe klanten", "Nieuwe klant", "New clients", "New customers",
    "Unassigned", "Niet toegewezen", "Unknown", "Onbekend", "Standaard", "Test", "Intern", "Internal",
)  # fmt: skip


@dataclass(frozen=True)
class Msp:
    """The MSP itself: its names, e-mail and web domains and technicians never point at a customer, and a session
    that names only the MSP (in a customer field) is its own internal work."""

    names: tuple[str, ...] = ()
    domains: frozenset[str] = frozenset()
    staff: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = PLACEHOLDER_CLIENTS

    @cached_property
    def name_keys(self) -> set[str]:
        return {k for k in map(name_key, self.names) if k}

    @cached_property
    def staff_keys(self) -> set[str]:
        return {k for k in map(name_key, self.staff) if k}

    @cached_property
    def placeholder_keys(self) -> set[str]:
        return {k for k in map(name_key, self.placeholders) if k}

    @classmethod
    def of(cls, names: list[str], domains: list[str], staff: list[str], placeholders: list[str]) -> "Msp":
        return cls(
            tuple(names), frozenset(d.strip().lower() for d in domains if d.strip()), tuple(staff), tuple(placeholders)
        )


NO_MSP = Msp()


def code_key(code: str) -> str:
    """An identifier as compared: letters and digits only, lower case (``BE 0456.789.123`` → ``be0456789123``)."""
    return re.sub(r"[^a-z0-9]", "", code.lower())


def core_names(key: str) -> list[str]:
    """The name without its trade, when two distinctive words remain (``peeters janssens`` of ``Peeters &
    Janssens Boekhouding``): how people write it in a sentence."""
    words = key.split()
    core = [w for w in words if not is_trade(w)]
    distinct = [w for w in core if w not in PARTICLES and w not in COMMON_WORDS]
    return [" ".join(core)] if len(core) < len(words) and len(distinct) >= 2 else []


def company_variants(key: str) -> set[str]:
    """Other ways a company name key is written whole: without a leading article (``speelvogel``), in one word
    (``dierenartsenpraktijkterbeek`` for ``… Ter Beek``), without its trade (``ter beek``), as an acronym of
    three letters or more (``vdl``, ``vdll`` for ``Van der Linden Logistiek``)."""
    words = key.split()
    variants = {key.replace(" ", "")}
    if len(words) >= 2 and words[0] in ARTICLES:
        variants.add(" ".join(words[1:]))
    core = [w for w in words if not is_trade(w)]
    if 2 <= len(core) < len(words) and any(len(w) >= 4 and w not in PARTICLES for w in core):
        variants.add(" ".join(core))
    for part in (words, core):
        if len(part) >= 3:
            variants.add("".join(w[0] for w in part))
    return variants - {key}


@dataclass
class CustomerIndex:
    """Lookups over the customer cache: by id, e-mail, domain, phone, machine and name."""

    customers: dict[str, str] = field(default_factory=dict)  # customer_id → display name
    contacts: dict[str, str] = field(default_factory=dict)  # contact_id → customer_id
    emails: dict[str, set[tuple[str, str | None]]] = field(default_factory=dict)
    domains: dict[str, set[str]] = field(default_factory=dict)
    domains_of: dict[str, set[str]] = field(default_factory=dict)  # customer_id → its domains
    phones: dict[str, set[tuple[str, str | None]]] = field(default_factory=dict)
    machines: dict[str, set[str]] = field(default_factory=dict)
    codes: dict[str, set[str]] = field(default_factory=dict)  # customer numbers and other identifiers → customers
    acronyms: dict[str, set[str]] = field(default_factory=dict)  # "vdl" → Van der Linden Logistiek
    streets: dict[str, set[str]] = field(default_factory=dict)  # street name key → customers on it
    cities_of: dict[str, set[str]] = field(default_factory=dict)  # customer → its cities' keys
    towns: dict[str, set[str]] = field(default_factory=dict)  # a city's key (and first word) → its customers
    company_keys: dict[str, set[str]] = field(default_factory=dict)  # name key → customer ids
    names: NameIndex = field(default_factory=NameIndex)
    fuzzy_keys: list[str] = field(default_factory=list)
    fuzzy_names: list[Name] = field(default_factory=list)
    person_keys: set[str] = field(default_factory=set)  # private customers' names: a person, not a company
    person_words: dict[str, set[str]] = field(default_factory=dict)  # a word of contacts' names → their customers
    _token_owners: dict[str, set[str]] = field(default_factory=dict)  # company-name word → customers
    _words_of: dict[str, set[str]] = field(default_factory=dict)  # customer → its company-name words
    _stems: dict[str, set[str]] = field(default_factory=dict)  # first STEM letters of long name words → the words

    @classmethod
    def from_cache(cls, table: pl.DataFrame) -> "CustomerIndex":
        index = cls()
        for row in table.iter_rows(named=True):  # a disabled customer's old sessions are still theirs
            index._add_customer(row)
        return index

    def _add_customer(self, row: dict) -> None:
        cid = row["customer_id"]
        self.customers[cid] = (row["display_name"] or cid) + (" (disabled)" if row["disabled"] else "")
        for email in row["emails"]:
            self.emails.setdefault(email, set()).add((cid, None))
        self.domains_of[cid] = set(row["domains"])
        for domain in row["domains"]:
            self.domains.setdefault(domain, set()).add(cid)
        for phone in row["phones"]:
            self.phones.setdefault(phone, set()).add((cid, None))
        for machine in row["machine_names"]:
            self.machines.setdefault(machine.lower(), set()).add(cid)
        for code in row["codes"]:
            self.codes.setdefault(code_key(code), set()).add(cid)
        for street in row["streets"]:
            if len(key := name_key(street)) >= 5:
                self.streets.setdefault(key, set()).add(cid)
        self.cities_of[cid] = {name_key(city) for city in row["cities"] if name_key(city)}
        for city in self.cities_of[cid]:
            first = city.split()[0]  # "Emmerich am Rhein" is "Emmerich" when spoken of
            for town in {city, first} if len(first) >= 5 else {city}:
                self.towns.setdefault(town, set()).add(cid)
        companies = {row["business_name"], row["display_name"], *row["aliases"]} - {None}
        for name in companies:
            self._add_name(cid, name, person=False)
        if row["person_name"] and row["business_name"]:  # the business's main contact
            self.names.add(cid, row["person_name"], person=True)
            self._add_fuzzy(cid, row["person_name"], person=True)
        elif row["person_name"]:  # a private customer: the person is the customer
            self._add_name(cid, row["person_name"], person=True)
            self.person_keys.add(name_key(row["person_name"]))
        for contact in row["contacts"]:
            self._add_contact(cid, contact)

    def _add_name(self, cid: str, name: str, person: bool) -> None:
        if key := name_key(name):
            self.company_keys.setdefault(key, set()).add(cid)
            for variant in () if person else company_variants(key):
                self.company_keys.setdefault(variant, set()).add(cid)
                if " " not in variant and 3 <= len(variant) <= 5 and variant != key.replace(" ", ""):
                    self.acronyms.setdefault(variant, set()).add(cid)
            for core in () if person else core_names(key):
                self.names.add(cid, core, person=False)
            self.names.add(cid, name, person)
            self._add_fuzzy(cid, name, person)
            for token in key.split() if not person else ():
                self._token_owners.setdefault(token, set()).add(cid)
                self._words_of.setdefault(cid, set()).add(token)
                if len(token) >= STEM:  # "funerals" is the word of "Funeral Directors"
                    self._stems.setdefault(token[:STEM], set()).add(token)

    def _add_fuzzy(self, cid: str, name: str, person: bool, contact_id: str | None = None) -> None:
        if key := name_key(name):
            self.fuzzy_keys.append(key)
            self.fuzzy_names.append(Name(cid, name, tuple(key.split()), person, contact_id))

    def words_of(self, customer_id: str) -> set[str]:
        """Every word of the customer's company names."""
        return self._words_of.get(customer_id, set())

    def owners_of_words(self, words: list[str]) -> set[str]:
        """The customer the distinctive words of a field point at: one word of at least seven letters, or two
        words of the same customer (``Gouden Karper``); empty when they point at none or at several."""
        owned = [(word, owner) for word in words if (owner := self.owner_of_word(word))]
        owners = {owner for _, owner in owned}
        if len(owners) != 1:
            return set()
        return owners if len(owned) >= 2 or any(len(word) >= UNIQUE_WORD_LENGTH for word, _ in owned) else set()

    def owner_of_word(self, word: str) -> str | None:
        """The one customer whose company name holds this distinctive word (``Regenboog`` of ``Kinderopvang De
        Regenboog``, ``Whitfield`` of ``Whitfield Architects``; never a trade, ``Tandartspraktijk``), if only one."""
        stem_words = self._stems.get(word[:STEM], set()) if len(word) >= STEM else set()
        owners = self._token_owners.get(word) or {o for w in stem_words for o in self._token_owners[w]}
        distinctive = len(word) >= MIN_OWNED_LENGTH and word not in COMMON_WORDS and word not in PARTICLES
        if not distinctive or is_trade(word) or len(owners) != 1:
            return None
        return next(iter(owners)) if self.person_words.get(word, owners) <= owners else None  # no one else's surname

    def _add_contact(self, cid: str, contact: dict) -> None:
        contact_id = contact["contact_id"]
        self.contacts[contact_id] = cid
        if contact["email"]:
            self.emails.setdefault(contact["email"], set()).add((cid, contact_id))
        for number in {contact["phone"], contact.get("mobile")} - {None}:
            self.phones.setdefault(number, set()).add((cid, contact_id))
        if name_key(contact["name"]):
            self.names.add(cid, contact["name"], True, contact_id)
            self._add_fuzzy(cid, contact["name"], True, contact_id)
            for word in name_key(contact["name"]).split():
                self.person_words.setdefault(word, set()).add(cid)
