"""What a session says about its customer, wherever it says it: the fields a source filled, its attributes,
file names and every segment's text. Addresses, phone numbers, domains, machine names and the names of
customers and contacts are looked up in the :class:`~sdc_assets.enrichment.customer_index.CustomerIndex`;
each hit is a :class:`Clue` naming the customer, how sure it is and where it was found. The MSP's own
names, domains and staff, and an RMM's placeholder groups, are never evidence."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from sdc_assets.enrichment.customer_index import CustomerIndex, Msp, code_key
from sdc_assets.enrichment.names import STEM, is_trade, name_key
from sdc_assets.enrichment.namesakes import affiliations, of_another
from sdc_assets.sessions.model import AuthorRole, Session
from sdc_assets.syncro.customers import SHARED_MAIL_DOMAINS, normalize_email, normalize_phone, registrable_domain

# How sure each kind of clue is on its own.
CONFIDENCE = {
    "email": 0.99,
    "phone": 0.97,
    "company_name": 0.97,
    "custom_property": 0.96,
    "session_name": 0.96,
    "machine": 0.95,
    "customer_code": 0.95,
    "email_domain": 0.92,
    "domain": 0.9,
    "text_mention": 0.9,
    "contact_name": 0.9,
    "name_variant": 0.88,
}
# Kinds that decide on their own: two customers with such clues are a conflict, not a choice.
DECISIVE = {
    "email", "phone", "company_name", "custom_property", "session_name", "machine", "customer_code", "email_domain",
}  # fmt: skip
VARIANT_DISCOUNT = {
    "exact": 1.0, "abbreviated": 1.0, "initials": 0.94, "typo": 0.95, "word_missing": 0.95, "reordered": 1.0,
}  # fmt: skip
OWNED_WORD = 0.9  # a session's name holding a word only one customer's name has
ADDRESS, STREET_ONLY = 0.9, 0.5  # a customer's street and town named in the session; the street alone
PASSING = 0.5  # a name mentioned in passing counts this much
IN_TOWN = 0.9  # a word of a customer's name and the customer's town in one sentence
# Words that make a sentence about something else than the names in it: a comparison with another customer
# ("net als vorige week bij X", "similar request from X last month"), a denial ("not to be confused with X",
# "geen klant"), someone who is not a customer ("a prospect", "nieuwe lead", "privé"). Dutch, English, German.
_ASIDE = re.compile(
    r"(?i)\b(?:net als|zoals bij|ook bij|eerder bij|vergelijkbare?|soortgelijke?s?|hetzelfde|"
    r"zelfde (?:probleem|melding|type|soort)|zelfde [\w-]+ als|als (?:\w+ ){0,3}bij|similar|same [\w-]+ as|"
    r"same (?:issue|problem|request|thing|kind|setup|type)|"
    r"like at|as at|as with|also at|recommended|referred|aanbevolen|aangeraden|doorverwezen|"
    r"not to be confused|"
    r"niet te verwarren|niet verwarren|unrelated|geen klant|not a (?:client|customer)|no (?:client|customer)|"
    r"not the (?:same|one|(?:\w+ ){1,4}(?:from|of|at))|niet de(?:zelfde)? \w+ (?:van|bij)|prospect|(?:new|nieuwe) lead|"
    r"privé|"
    r"private(?:ly)?|acquaintance|kennis van|wie bei|genauso|ähnlich|comme chez)\b"
)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z]|\s*$)|\n")  # "V.O.F. hebben" goes on


def _aside(text: str, start: int, end: int) -> bool:
    """Whether the mention at ``start:end`` stands in brackets or in a sentence that is about something else."""
    before, after = text[:start], text[end:]
    opened = before.rfind("(") > before.rfind(")")
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(before)), default=0)
    stop = _SENTENCE_END.search(after)
    sentence = text[sentence_start : end + (stop.start() if stop else len(after))]
    return opened or bool(_ASIDE.search(sentence))


# Attributes that hold a name: the company (by convention CustomProperty1), other custom properties, the
# session's name, the logged-on user's Windows domain. Other attributes are read as running text.
NAME_FIELDS = {
    **{f"CustomProperty{n}": "custom_property" for n in range(1, 9)},
    "Name": "session_name",
    "Client": "company_name",
    "GuestLoggedOnUserDomain": "custom_property",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HOST = re.compile(r"(?i)\b(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ()./-]{7,18}\d(?![\w])")
_SEPARATORS = re.compile(r"\s+[-–|/:]\s+|[()\[\],;]|:\s")
_CODE = re.compile(r"(?<![\w])[A-Za-z]{0,4}[ -]?\d[\d.\- ]{2,14}\d(?![\w])|(?<![\w])[A-Za-z]{1,5}-\d{2,8}(?![\w])")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,62}")


@dataclass(frozen=True)
class Clue:
    customer_id: str
    kind: str
    confidence: float
    value: str
    where: str
    contact_id: str | None = None
    person: bool = False  # rests on a person's name: a namesake elsewhere says nothing

    @property
    def reason(self) -> str:
        return f"{self.kind}: {self.value} ({self.where})"


@dataclass(frozen=True)
class Text:
    where: str
    text: str
    structured: bool  # a field that holds one value (a name, an address), not running text
    tech: bool = False  # written by the MSP's technician


def session_texts(session: Session) -> Iterator[Text]:
    """Every place a session can name its customer, the fields first."""
    context = session.context
    if context.customer_name:
        yield Text("customer field", context.customer_name, True)
    if context.contact_name:
        yield Text("contact field", context.contact_name, True)
    for name, values in (("e-mail", context.emails), ("phone", context.phones), ("machine", context.machine_names)):
        for value in values:
            yield Text(f"{name} field", value, True)
    for key, value in _flatten(context.attributes):
        yield Text(f"attribute {key}", value, key in NAME_FIELDS)
    if session.insights.title:
        yield Text("title", session.insights.title, False)
    for file in session.meta.source_files:
        yield Text("file name", file.rsplit("/", 1)[-1], False)
    for number, segment in enumerate(session.segments):
        if segment.text:
            tech = segment.author_role in (AuthorRole.TECH, AuthorRole.USER)  # USER: the technician in a chat
            yield Text(f"segment {number} ({segment.kind.value})", segment.text, False, tech)


def _flatten(value, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _flatten(inner, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for inner in value:
            yield from _flatten(inner, key)
    elif isinstance(value, str) and value.strip():
        yield key, value.strip()


def clues(session: Session, index: CustomerIndex, msp: Msp) -> list[Clue]:
    """Every clue the session holds, in the order found."""
    found: list[Clue] = []
    texts = list(session_texts(session))
    for text in texts:
        found += _contact_points(text, index, msp)
        found += _machines(text, index)
        found += _codes(text, index)
        if text.structured:
            found += _field_names(text, index, msp)
        else:
            found += _text_names(text, index, msp)
        found += _named_in_town(text, index)
    whole = "\n".join(t.text for t in texts)
    found += _addresses(whole, index)
    elsewhere = affiliations(texts, index)
    return [c for c in found if not (c.person and (_someone_else(c.value, whole) or of_another(c, elsewhere, index)))]


def _someone_else(name: str, text: str) -> bool:
    """The text names another person with this surname (``Michael Cole`` where the contact is Margaret Cole,
    and ``M. Cole`` wrote the note) and never the contact in full: a namesake."""
    first, _, surname = name.strip().partition(" ")
    if not surname or re.search(rf"(?i)\b{re.escape(first)}\s+{re.escape(surname)}\b", text):
        return False
    others = re.findall(rf"\b([A-Z][a-z]{{2,}})\s+{re.escape(surname)}\b", text)
    return any(other.lower() != first.lower() for other in others)


def own_domains(session: Session, msp: Msp) -> set[str]:
    """The organisations the session's e-mail addresses belong to, shared providers left out; the MSP's own
    domain only where someone else than its technician writes from it (a colleague of the MSP named like a
    customer's contact is a namesake too; the technician's signature says nothing)."""
    domains = set()
    for text in session_texts(session):
        for raw in _EMAIL.findall(text.text):
            if email := normalize_email(raw):
                domain = email.split("@", 1)[1]
                if domain not in msp.domains or not text.tech:
                    domains.add(domain)
    return domains - SHARED_MAIL_DOMAINS


def _contact_points(text: Text, index: CustomerIndex, msp: Msp) -> list[Clue]:
    """Addresses, domains and phone numbers written in ``text``."""
    found = []
    emails = set(filter(None, map(normalize_email, _EMAIL.findall(text.text))))
    for email in emails:
        domain = email.split("@", 1)[1]
        if domain in msp.domains:
            continue
        found += _hits(index.emails.get(email, ()), "email", email, text.where)
        if domain not in SHARED_MAIL_DOMAINS:
            found += _hits(index.domains.get(domain, ()), "email_domain", domain, text.where)
    mail_domains = {e.split("@", 1)[1] for e in emails}
    for host in {h.lower() for h in _HOST.findall(_EMAIL.sub(" ", text.text))}:
        domain = registrable_domain(host)
        if domain and domain not in msp.domains and domain not in mail_domains and domain not in SHARED_MAIL_DOMAINS:
            found += _hits(index.domains.get(domain, ()), "domain", domain, text.where)
    for raw in _PHONE.findall(text.text):
        if (phone := normalize_phone(raw)) and len(phone) >= 9:
            found += _hits(index.phones.get(phone, ()), "phone", phone, text.where)
    return found


def _codes(text: Text, index: CustomerIndex) -> list[Clue]:
    """Customer numbers and other identifiers from the customers' custom fields (``Klantnummer: PL-0133``,
    ``BE 0456.789.123``), compared by their letters and digits."""
    if not index.codes:
        return []
    found = {code_key(m) for m in _CODE.findall(text.text)} | ({code_key(text.text)} if text.structured else set())
    found |= {code_key(t) for t in _TOKEN.findall(text.text)}
    known = found & index.codes.keys()
    return [clue for code in known for clue in _hits(index.codes[code], "customer_code", code, text.where)]


def _addresses(whole: str, index: CustomerIndex) -> list[Clue]:
    """A customer's street named in the session: with its town as well, an address (0.9); alone, a hint."""
    key = f" {name_key(whole)} "
    found = []
    for street, customers in index.streets.items():
        if f" {street} " not in key:
            continue
        for customer in customers:
            in_town = any(f" {city} " in key for city in index.cities_of.get(customer, ()))
            found.append(Clue(customer, "address", ADDRESS if in_town else STREET_ONLY, street, "text"))
    return found


def _named_in_town(text: Text, index: CustomerIndex) -> list[Clue]:
    """A word of a customer's name and the customer's town in one sentence: "de frituur aan het station in
    Sint-Niklaas", "the heating engineers in Derby", "Lindenhof Mechelen" (a word in another form counts:
    autoschadeherstel for Autoschadebedrijf). Two customers in one town of one trade stay two candidates."""
    found = []
    for sentence in _SENTENCE_END.split(text.text) if index.towns else ():
        words = name_key(sentence).split()
        for town in _towns_in(words, index):
            rest = [w for w in words if w not in town.split()]
            for customer in index.towns[town]:
                named = [w for w in index.words_of(customer) if len(w) >= 4 and w not in town.split()]
                if hit := next((w for w in named if any(_same_word(w, r) for r in rest)), None):
                    confidence = IN_TOWN * (PASSING if _ASIDE.search(sentence) else 1.0)
                    found.append(Clue(customer, "text_mention", confidence, f"{hit} in {town}", text.where))
    return found


def _towns_in(words: list[str], index: CustomerIndex) -> set[str]:
    grams = {" ".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)}
    return grams & index.towns.keys()


def _same_word(a: str, b: str) -> bool:
    return a == b or (len(a) >= STEM and len(b) >= STEM and a[:STEM] == b[:STEM])


def _machines(text: Text, index: CustomerIndex) -> list[Clue]:
    """Known machine names: a field that holds one, or a host-name-shaped word (a digit or a hyphen in it, or
    the first label of a host name) in running text."""
    if text.structured:
        value = text.text.strip().lower()
        known = index.machines.get(value) or index.machines.get(re.sub(r"\s+", "-", value), ())
        return _hits(known, "machine", text.text.strip(), text.where)
    found = []
    for token in {t.lower() for t in _TOKEN.findall(text.text)}:
        shaped = any(c.isdigit() for c in token) or "-" in token or len(token) >= 8
        shaped = shaped and len(token) >= 3 and any(c.isalpha() for c in token)  # "11" of "Windows 11" is none
        if shaped and token in index.machines:
            found += _hits(index.machines[token], "machine", token, text.where)
    return found


def _field_names(text: Text, index: CustomerIndex, msp: Msp) -> list[Clue]:
    """A field that holds a name: the customer's name as written, a custom property, a session name, or a
    name and more (``Brightwater Dental - X-ray PC``: each part is read as a name too)."""
    if text.where in ("e-mail field", "phone field", "machine field") or _EMAIL.search(text.text):
        return []  # an address is read as an address (above), never as a name
    kind = NAME_FIELDS.get(text.where.removeprefix("attribute "), "company_name")
    parts = [p for p in (text.text, *_SEPARATORS.split(text.text)) if p.strip()]
    found: list[Clue] = []
    for part in dict.fromkeys(parts):
        key = name_key(part)
        if not key or key in msp.placeholder_keys or key in msp.name_keys or key in msp.staff_keys:
            continue
        if exact := index.company_keys.get(key) or index.company_keys.get(key.replace(" ", "")):
            found += _hits(exact, kind, part, text.where, person=key in index.person_keys)
        else:
            mentions = index.names.find(part, text.where, free_text=False)
            if text.where == "contact field":  # a person's field: a surname is no company's name
                mentions = [m for m in mentions if m.name.person]
            found += _mention_clues(mentions, msp, kind)
    if not found and text.where != "contact field":
        found = _owned_words(text, index) or _acronyms(text, index, kind)
    key = name_key(text.text)
    if found or key in msp.staff_keys | msp.name_keys | msp.placeholder_keys:
        return found
    return _fuzzy(key, text, index)


def _acronyms(text: Text, index: CustomerIndex, kind: str) -> list[Clue]:
    """A name field starting with the acronym of one customer's name, in capitals (``VDL dock`` for ``Van der
    Linden Logistiek``)."""
    first = text.text.split()[0] if text.text.split() else ""
    owners = index.acronyms.get(first.lower(), set()) if len(first) >= 3 and first.isupper() else set()
    if len(owners) != 1:
        return []
    return [Clue(next(iter(owners)), "name_variant", OWNED_WORD, text.text, text.where)]


def _owned_words(text: Text, index: CustomerIndex) -> list[Clue]:
    """A name field holding a word only one customer's name has (``Regenboog locatie Oost`` for ``Kinderopvang
    De Regenboog``, ``Peeters Bouw`` for ``Bouwbedrijf Peeters``)."""
    words = name_key(text.text).split()
    owners = index.owners_of_words(words)
    # "Northwind Logistics" is another business than "Northwind Legal": a trade the customer's name lacks
    owners = {o for o in owners if not any(is_trade(w) and w not in index.words_of(o) for w in words)}
    return [Clue(owner, "name_variant", OWNED_WORD, text.text, text.where) for owner in owners]


def _text_names(text: Text, index: CustomerIndex, msp: Msp) -> list[Clue]:
    found = []
    for mention, clue in zip(*_paired(index.names.find(text.text, text.where), msp), strict=True):
        if _aside(text.text, mention.start, mention.end):
            clue = replace(clue, confidence=round(clue.confidence * PASSING, 3))
        found.append(clue)
    return found


def _paired(mentions, msp: Msp) -> tuple[list, list[Clue]]:
    kept = [m for m in mentions if not (m.name.person and " ".join(m.name.tokens) in msp.staff_keys)]
    return kept, _mention_clues(kept, msp, "text_mention")


def _mention_clues(mentions, msp: Msp, kind: str) -> list[Clue]:
    found = []
    for mention in mentions:
        name = mention.name
        if name.person and " ".join(name.tokens) in msp.staff_keys:
            continue
        clue_kind = "contact_name" if name.person else (kind if mention.how == "exact" else "name_variant")
        base = CONFIDENCE["contact_name"] if name.person else CONFIDENCE[kind]  # a name field, or running text
        # A person's name in a field that holds one ("F. de Boer" as the guest) is as good written with initials.
        same = name.person and kind != "text_mention" and mention.how == "initials"
        confidence = base * (1.0 if same else VARIANT_DISCOUNT[mention.how])
        clue = Clue(
            name.customer_id, clue_kind, round(confidence, 3), name.text, mention.where, name.contact_id, name.person
        )
        found.append(clue)
    return found


def _fuzzy(key: str, text: Text, index: CustomerIndex, limit: int = 5) -> list[Clue]:
    """Names close to a name field as a whole (a typo, words in another order)."""
    if len(key) < 4 or not index.fuzzy_keys:
        return []
    found = []
    for _, score, position in process.extract(key, index.fuzzy_keys, scorer=fuzz.token_sort_ratio, limit=limit):
        name = index.fuzzy_names[position]
        if name.person and len(key.split()) < 2:
            continue  # a first name alone names nobody
        found.append(
            Clue(name.customer_id, "fuzzy", round(score / 100 * 0.95, 3), text.text, text.where, name.contact_id)
        )
    return found


def _hits(customers, kind: str, value: str, where: str, person: bool = False) -> list[Clue]:
    found = []
    for hit in customers:
        customer_id, contact_id = hit if isinstance(hit, tuple) else (hit, None)
        found.append(Clue(customer_id, kind, CONFIDENCE[kind], value, where, contact_id, person))
    return found
