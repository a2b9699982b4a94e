"""Finding the names of customers and their contacts in any text: a field as written, a chat, a note.

Names are compared word by word after folding accents, case and punctuation. A word may be written short
(``Tandartspr.`` for ``Tandartspraktijk``), as an initial in a person's name (``J. de Vries``), or with one
typo in a long word; a company name of three or more words may miss one of them. Legal forms (B.V., Ltd,
Stichting, …) are optional, and a name made only of common words, or of one short word, is never looked
for in free text. Every match says how it matched, so the score can follow.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz

# Legal forms, long and short: they may be written or left out, and say nothing about which customer it is.
LEGAL_FORMS = frozenset(
    {
        "bv", "nv", "vof", "cv", "bvba", "sprl", "srl", "sa", "gmbh", "ag", "ltd", "limited", "plc", "llp",
        "inc", "llc", "co", "company", "corp", "stichting", "vereniging", "vzw", "asbl", "cooperatie", "ua",
        "eenmanszaak", "holding", "gemeente", "besloten", "vennootschap",
    }
)  # fmt: skip
# Words too common to name a customer on their own (Dutch and English).
COMMON_WORDS = frozenset(
    {
        "de", "het", "een", "en", "van", "der", "den", "voor", "bij", "met", "op", "in", "aan", "te", "the", "a",
        "an", "and", "of", "for", "at", "to", "it", "ict", "services", "service", "solutions", "group", "groep",
        "systems", "support", "advies", "consultancy", "administratie", "kantoor", "office", "team", "praktijk",
        "centrum", "center", "centre", "international", "nederland", "belgie", "uk", "europe",
        "default", "onboarding", "nieuw", "nieuwe", "klant", "klanten", "client", "clients", "customer",
        "printer", "server", "netwerk", "network", "mail", "email", "outlook", "windows", "office365",
    }
)  # fmt: skip
CONJUNCTIONS = frozenset({"en", "and", "und", "et", "y"})  # "&" is no word at all: "Meijer & De Wit"
PARTICLES = frozenset({"de", "van", "der", "den", "het", "ter", "ten", "te", "le", "la", "du", "von", "op"})
# What a business does, not who it is: such a word alone never names one customer ("Tandartspraktijk
# Noordwijk" is not "Tandartspraktijk Zuidwijk"). Whole words, and the endings of Dutch compounds.
TRADE_WORDS = frozenset(
    {
        "bakkerij", "slagerij", "kapsalon", "restaurant", "brasserie", "cafe", "hotel", "garage", "drukkerij",
        "brouwerij", "optiek", "apotheek", "makelaars", "makelaardij", "advocaten", "notarissen", "accountants",
        "architecten", "architects", "dental", "practice", "clinic", "veterinary", "logistics", "logistiek",
        "transport", "engineering", "precision", "consultants", "partners", "fysiotherapie", "tuincentrum",
        "kinderopvang", "dierenarts", "dierenartsen", "tandarts", "tandartsen", "huisarts", "huisartsen",
        "installatie", "hoveniers", "schilders", "loodgieters", "elektrotechnik", "maschinenbau", "interieurs",
        "estates", "solicitors", "surgery", "pharmacy", "studio", "fotostudio", "bouw", "school", "woonzorg",
        "boekhouding", "accountancy", "administratie", "belastingadvies", "installaties", "installatietechniek",
        "haulage", "builders", "surveyors", "plumbing", "electrical", "motors", "supplies", "zorggroep",
    }
)  # fmt: skip
TRADE_ENDINGS = ("praktijk", "bedrijf", "kantoor", "centrum", "handel", "winkel", "techniek", "opvang", "zorg",
                 "studio", "salon", "atelier", "service", "diensten", "kliniek", "clinic")  # fmt: skip


def is_trade(word: str) -> bool:
    return word in TRADE_WORDS or word.endswith(TRADE_ENDINGS)


ARTICLES = frozenset({"de", "het", "the", "le", "la", "les", "der", "die", "das"})
MIN_SINGLE_WORD = 5
PREFIX_MIN_LENGTH = 6  # a one-word name shorter than this is never looked for in free text
TYPO_MIN_LENGTH = 6
STEM = 7  # words sharing this many first letters are one word in two forms (autoschadeherstel, -bedrijf)
TYPO_RATIO = 85
_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['’][A-Za-z]+)?\.?")


def fold(text: str) -> str:
    """Accents and case gone: ``Café Zuidwijk`` → ``cafe zuidwijk``."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@dataclass(frozen=True)
class Word:
    text: str  # folded, without a trailing dot
    short: bool  # written with a trailing dot: an abbreviation or an initial
    capital: bool  # written with a capital (a proper noun in running text)
    start: int  # offset of the word in its text
    end: int  # offset after it


def words(text: str) -> list[Word]:
    """The words of ``text``, legal forms written with dots joined (``B.V.`` → ``bv``)."""
    joined = re.sub(r"\b([A-Za-z])\.(?=[A-Za-z]\.)", r"\1", text or "")  # B.V. → BV.  V.O.F. → VOF.
    found = []
    for match in _WORD.finditer(joined):
        raw = match.group(0)
        folded = fold(raw.rstrip(".").replace("’", "'"))
        if folded:
            found.append(
                Word(
                    re.sub(r"'s$", "", folded).replace("'", ""),  # "Northwind Legal's" is Northwind Legal
                    raw.endswith("."),
                    raw[0].isupper(),
                    match.start(),
                    match.end(),
                )
            )
    return found


def name_key(name: str | None) -> str:
    """A name as compared whole: accents, case, punctuation and legal forms gone
    (``Bakkerij de Vries B.V.`` → ``bakkerij de vries``)."""
    return " ".join(w.text for w in _core(words(name or "")))


@dataclass(frozen=True)
class Name:
    """One way a customer or contact is named."""

    customer_id: str
    text: str
    tokens: tuple[str, ...]
    person: bool
    contact_id: str | None = None

    @cached_property
    def searchable(self) -> bool:
        """Whether running text may be searched for it: not only common words, not one short word."""
        distinct = [t for t in self.tokens if t not in COMMON_WORDS]
        if not distinct:
            return False
        if self.person:
            return len(self.tokens) >= 2 and any(t not in PARTICLES for t in self.tokens[1:])
        return len(self.tokens) >= 2 or len(self.tokens[0]) >= MIN_SINGLE_WORD


@dataclass(frozen=True)
class Mention:
    name: Name
    how: str  # exact | abbreviated | initials | typo | word_missing | reordered
    where: str
    start: int
    end: int


def _word_match(written: Word, wanted: str, person: bool, free_text: bool = True) -> str | None:
    if written.text == wanted:
        return "exact"
    if written.short and len(written.text) >= 3 and wanted.startswith(written.text):
        return "abbreviated"
    if not free_text and not person and len(written.text) >= PREFIX_MIN_LENGTH and wanted.startswith(written.text):
        return "abbreviated"  # a field's "Dierenarts Maes" for "Dierenartsenpraktijk Maes"
    if person and len(written.text) == 1 and wanted.startswith(written.text):
        return "initials"
    long_enough = len(wanted) >= TYPO_MIN_LENGTH and len(written.text) >= TYPO_MIN_LENGTH - 1
    one_slip = abs(len(wanted) - len(written.text)) <= 1  # "Pietersen" is another name than "Pieters"
    if long_enough and one_slip and written.text[0] == wanted[0] and fuzz.ratio(written.text, wanted) >= TYPO_RATIO:
        return "typo"
    return None


def _core(found: list[Word]) -> list[Word]:
    return [w for w in found if w.text not in LEGAL_FORMS and w.text not in CONJUNCTIONS]


@dataclass
class NameIndex:
    """Every name of every customer and contact, looked up by the first letters of their words."""

    names: list[Name] = field(default_factory=list)
    _by_prefix: dict[str, list[int]] = field(default_factory=dict)

    def add(self, customer_id: str, text: str | None, person: bool, contact_id: str | None = None) -> None:
        tokens = tuple(w.text for w in _core(words(text or "")))
        if not tokens:
            return
        variants = [tokens]
        if not person and len(tokens) >= 2 and tokens[0] in ARTICLES:
            variants.append(tokens[1:])
        for variant in variants:
            name = Name(customer_id, text or "", variant, person, contact_id)
            if name in self.names:
                continue
            self.names.append(name)
            for token in set(_distinct(variant)):
                self._by_prefix.setdefault(token[:1], []).append(len(self.names) - 1)

    def find(self, text: str, where: str, free_text: bool = True) -> list[Mention]:
        """The names written in ``text``. In ``free_text`` (a chat, a note) only searchable names count, and a
        one-word company name only when written with a capital."""
        found = _core(words(text))
        mentions: list[Mention] = []
        candidates = {i for w in found for i in self._by_prefix.get(w.text[:1], ())}
        for i in sorted(candidates):
            name = self.names[i]
            if not name.searchable:
                continue  # a name of common words, or one short word, counts only as a whole field
            if mention := self._match(name, found, where, free_text):
                mentions.append(mention)
        return mentions

    def _match(self, name: Name, found: list[Word], where: str, free_text: bool) -> Mention | None:
        size = len(name.tokens)
        for start in range(len(found) - size + 1):
            ways = [_word_match(found[start + k], token, name.person, free_text) for k, token in enumerate(name.tokens)]
            if all(ways):
                if size == 1 and free_text and (ways[0] != "exact" or not found[start].capital):
                    continue  # in running text one word must be written out, and as a name
                if name.person and ways[-1] != "exact":
                    continue  # a surname is written out: "J. de Vries", never "Jan de V."
                how = next((w for w in ("typo", "initials", "abbreviated") if w in ways), "exact")
                return Mention(name, how, where, found[start].start, found[start + size - 1].end)
        if size >= 2 and not name.person and (mention := _reordered(name, found, where, free_text)):
            return mention
        if size >= 3 and not name.person and not free_text:
            return _missing_one_word(name, found, where)
        return None


def _reordered(name: Name, found: list[Word], where: str, free_text: bool) -> Mention | None:
    """A company name with its words in another order (``Van Leeuwen Drukkerij``): every word matched once."""
    size = len(name.tokens)
    for start in range(len(found) - size + 1):
        window, left = found[start : start + size], list(name.tokens)
        for written in window:
            match = next((t for t in left if _word_match(written, t, False, free_text)), None)
            if match is None:
                break
            left.remove(match)
        if not left:
            return Mention(name, "reordered", where, window[0].start, window[-1].end)
    return None


def _distinct(tokens) -> list[str]:
    return [t for t in tokens if t not in COMMON_WORDS and t not in PARTICLES]


def _missing_one_word(name: Name, found: list[Word], where: str) -> Mention | None:
    """A field that starts with a company name of three or more words without one of them, and what is left
    still has two distinctive words (``Tandartspraktijk Zuidwijk`` for ``Tandartspraktijk Zuidwijk Oost``,
    ``Meijer & De Wit`` for ``Notariskantoor Meijer & De Wit``, ``Hotel De Kroon receptie-pc`` for
    ``Hotel-Restaurant De Kroon``; never ``de Vries`` for ``Bakkerij de Vries``)."""
    if len(found) < len(name.tokens) - 1:
        return None
    for skip in range(len(name.tokens)):
        short = name.tokens[:skip] + name.tokens[skip + 1 :]
        if len(_distinct(short)) < 2:
            continue
        if all(_word_match(found[k], t, False, False) for k, t in enumerate(short)):
            return Mention(name, "word_missing", where, found[0].start, found[-1].end)
    return None
