"""Linking reads everything a session says: one case per kind of evidence (each fails on a linker that reads only
the fields a source filled), in Dutch and English, beside the look-alikes it must not link."""

from datetime import UTC, datetime

import pytest

from sdc_assets.enrichment.customer_index import CustomerIndex, Msp
from sdc_assets.enrichment.linking import link_session
from sdc_assets.enrichment.names import NameIndex, words
from sdc_assets.sessions.model import (
    AuthorRole,
    SegmentKind,
    Session,
    SessionContext,
    SessionMeta,
    SessionSegment,
    SourceSystem,
)
from sdc_assets.syncro.customers import customer_cache_table, property_values

MSP = Msp.of(["Hollander IT Services B.V."], ["hollander-it.nl"], ["Jeroen Hollander", "Sanne Visser"], ["Default"])
CUSTOMERS = [
    {"id": 1, "business_name": "Tandartspraktijk Zuidwijk", "email": "balie@tpzuidwijk.nl", "phone": "010-4567890",
     "properties": {"Website": "https://www.tpzuidwijk.nl", "Werkplekken": "ZW-BALIE02, ZW-ARTS01\nZW-RECEPTIE01"}},
    {"id": 2, "business_name": "Harbour Print Ltd", "email": "office@harbourprint.co.uk", "phone": "+44 20 7946 0958",
     "properties": {"Alternatieve naam": "HPL Printing"}},
    {"id": 3, "business_name": "Accountantskantoor Meijer & Zonen B.V.", "email": "info@meijerzonen.nl"},
    {"id": 4, "business_name": "Slagerij de Vries", "email": "winkel@slagerijdevries.nl", "address": "Oosterdijk 22",
     "city": "Sneek", "properties": {"Roepnaam": "De Slager", "Ondernemingsnummer": "BE 0456.789.123"}},
    {"id": 5, "business_name": None, "fullname": "Anneke Bosman", "email": "anneke.bosman@gmail.com",
     "phone": "06-11122233"},
    {"id": 6, "business_name": "Gemeente Oosterhout", "email": "ict@oosterhout.nl"},
    {"id": 7, "business_name": "Autoschadebedrijf Lammers B.V.", "city": "Almelo", "phone": "+31 546 85 40 12"},
    {"id": 8, "business_name": "Immo Lievens BV", "city": "Hasselt", "phone": "+32 11 22 63 40"},
    {"id": 9, "business_name": "Dierenkliniek De Horst B.V.", "city": "Venlo"},
    {"id": 10, "business_name": "Tandartspraktijk De Linde", "city": "Almelo"},
]  # fmt: skip
CONTACTS = [
    {"id": 11, "customer_id": 1, "name": "Femke de Boer", "email": "femke@tpzuidwijk.nl", "phone": "06-12345678"},
    {"id": 21, "customer_id": 2, "name": "Oliver Grant", "email": "oliver@harbourprint.co.uk"},
    {"id": 31, "customer_id": 3, "name": "Johan de Wit", "email": "johan@meijerzonen.nl"},
    {"id": 61, "customer_id": 6, "name": "Sanne Visser", "email": "s.visser@oosterhout.nl"},
    {"id": 81, "customer_id": 8, "name": "Tom Vos", "email": "tom@immolievens.be"},
]
ASSETS = [{"id": 91, "customer_id": 4, "name": "SDV-KASSA1"}]
SIGNATURE = "Met vriendelijke groet,\nJeroen Hollander\nHollander IT Services | 073-1112233 | support@hollander-it.nl"


@pytest.fixture(scope="module")
def index() -> CustomerIndex:
    return CustomerIndex.from_cache(customer_cache_table(CUSTOMERS, CONTACTS, ASSETS))


def _session(*texts: str, source: str = "sillytavern", **context) -> Session:
    segments = [
        SessionSegment(
            timestamp=datetime(2025, 4, 2, 9, n, tzinfo=UTC),
            author="Jeroen" if n % 2 else "klant",
            author_role=AuthorRole.TECH if n % 2 else AuthorRole.CUSTOMER,
            kind=SegmentKind.MESSAGE,
            text=text,
        )
        for n, text in enumerate(texts)
    ]
    meta = SessionMeta.for_source(SourceSystem(source), f"t/{texts!r}/{context!r}", [], "2025-04-02")
    return Session(meta=meta, context=SessionContext(**context), segments=segments)


def _link(index, session):
    return link_session(session, index, msp=MSP)


@pytest.mark.parametrize(
    ("texts", "context", "customer", "method"),
    [
        # the company named in a chat (the context holds only the technician's first name)
        (
            ["Goedemorgen, met Femke van Tandartspraktijk Zuidwijk. De printer doet het niet.", SIGNATURE],
            {"contact_name": "Jeroen"},
            "1",
            "text_mention",
        ),
        (["Hi, this is Oliver from Harbour Print Limited, our plotter is offline again."], {}, "2", "text_mention"),
        (["Harbour Print's plotter is offline again."], {}, "2", "text_mention"),
        # an address or a phone number in the text, or in a field that holds one
        (["Kun je mailen naar femke@tpzuidwijk.nl? " + SIGNATURE], {}, "1", "email"),
        (["Graag contact opnemen."], {"contact_name": "femke@tpzuidwijk.nl"}, "1", "email"),
        (["Bel me terug op +31 6 1234 5678 alsjeblieft"], {}, "1", "phone"),
        (["Please call us back on 020 7946 0958, ext. 12"], {}, "2", "phone"),
        # an unknown person at the customer's own domain, a link to its website
        (["Van: stagiair@tpzuidwijk.nl\nOnderwerp: wachtwoord vergeten"], {}, "1", "email_domain"),
        (["De site https://www.tpzuidwijk.nl/afspraak laadt niet"], {}, "1", "domain"),
        # a machine name in pasted output, known from the customer's custom field "Werkplekken"
        (
            ["C:\\> ipconfig /all\n   Host Name . . . . . . . . : ZW-RECEPTIE01\n   Primary Dns Suffix . . : local"],
            {},
            "1",
            "machine",
        ),
        (["Kassa hangt weer"], {"machine_names": ["sdv-kassa1"]}, "4", "machine"),
        # names as written differently: abbreviated, a legal form spelt out, a word left out, an alias
        ([], {"customer_name": "Tandartspr. Zuidwijk"}, "1", "name_variant"),
        ([], {"customer_name": "Harbour Print Limited"}, "2", "company_name"),
        ([], {"customer_name": "Accountantskantoor Meijer"}, "3", "name_variant"),
        ([], {"customer_name": "HPL Printing"}, "2", "company_name"),
        # a contact's full name, also with an initial, in a field or in the text
        ([], {"contact_name": "F. de Boer"}, "1", "contact_name"),
        (["Johan de Wit belde over de btw-aangifte, de export loopt vast."], {}, "3", "contact_name"),
        (["Johan de Wit van Accountantskantoor Meijer belde: de export loopt vast."], {}, "3", "contact_name"),
        # a name field holding the name and more
        ([], {"customer_name": "Harbour Print - plotter 2e verdieping"}, "2", "company_name"),
        ([], {"customer_name": "Tandartspraktijk Zuidwijk Oost"}, "1", "company_name"),
        # the customer's street and town, its nickname kept in a custom field, its company number
        (["De kassa van de zaak aan de Oosterdijk in Sneek hangt weer."], {}, "4", "address"),
        ([], {"customer_name": "De Slager"}, "4", "company_name"),
        (["Factuur op naam van BE 0456.789.123 klopt niet"], {}, "4", "customer_code"),
        # a word of the name, in another form, and the customer's town in one sentence
        (["Morgen, met Erwin van het autoschadeherstel in Almelo. Het programma start niet."], {}, "7", "text_mention"),
        (["Bij de tandarts in Almelo, de tandartspraktijk aan het plein, hangt de scanner."], {}, "10", "text_mention"),
        # a Belgian landline as Belgians write it: eight digits after +32
        (["Terugbellen op 011/22.63.40: de printer is offline."], {}, "8", "phone"),
    ],
)
def test_every_kind_of_evidence_links(index, texts, context, customer, method):
    link = _link(index, _session(*texts, **context))
    assert (link.customer_id, link.method) == (customer, method), link.candidates


@pytest.mark.parametrize(
    ("texts", "context", "method"),
    [
        # look-alikes: another practice, another shop, a namesake at another organisation
        (["Met Tandartspraktijk Noordwijk, de scanner doet het niet"], {}, "no_match"),
        (["Bakkerij de Vries heeft een nieuwe kassa nodig"], {}, "no_match"),
        (["Femke de Boer hier, van femke@bloemenhuisdeboer.nl: de mail werkt niet"], {}, "no_match"),
        # an unknown person's shared mailbox, a first name alone
        (["Mail van jan.pietersen1977@gmail.com over zijn laptop"], {}, "no_match"),
        (["Hoi, met Femke. De printer doet het niet."], {}, "no_match"),
        # the MSP itself: its technicians, its domain, its own name as the customer
        (["Sanne Visser heeft de back-up van onze eigen server nagekeken. " + SIGNATURE], {}, "no_match"),
        ([SIGNATURE], {"customer_name": "Hollander IT Services"}, "internal"),
        # an RMM placeholder group is no customer's name
        ([], {"customer_name": "Default"}, "no_match"),
        # another person with the contact's surname, a customer named only in an aside
        (["Call with Michael Grant of our toner supplier about prices."], {"contact_name": "O. Grant"}, "no_match"),
        (["We had a similar request from Slagerij de Vries last month."], {}, "no_match"),
        (["Piet Jansen (niet te verwarren met Tandartspraktijk Zuidwijk) belde."], {}, "no_match"),
        # another business with the customer's proper name; the MSP's colleague named like a contact
        ([], {"customer_name": "Harbour Logistics Ltd"}, "no_match"),
        (["Van: Oliver Grant <oliver.grant@hollander-it.nl>: de back-up van kantoor faalt"], {}, "no_match"),
        (["Een winkel aan de Oosterdijk in Harlingen belde."], {}, "no_match"),  # the street, in another town
        # another clinic with the customer's trade; a contact's namesake at an organisation that is no customer
        ([], {"customer_name": "Dierenkliniek De Hoeve"}, "no_match"),
        (
            ["Tom Vos belde: ze zoeken een nieuwe IT-partner."],
            {"customer_name": "Vos Transport", "contact_name": "Tom Vos"},
            "no_match",
        ),
        # a customer named as the one who recommended a prospect, or compared with
        (
            ["Hi, I'm Daniel from Holloway Surveyors in Lincoln. Oliver at Harbour Print recommended you."],
            {},
            "no_match",
        ),
        (["Zelfde Outlook-probleem als vorige week bij Accountantskantoor Meijer & Zonen."], {}, "no_match"),
        (["Een garage in Almelo belt over de kassa."], {}, "no_match"),  # a town alone, with no word of a name
        # a contact's namesake said to be of another organisation; a session that says its caller is no customer
        (
            ["Goedemorgen, Johan de Wit hier, conciërge van OBS De Regenboog in Ermelo. Het digibord doet niks."],
            {"contact_name": "Johan de Wit"},
            "no_match",
        ),
        (
            ["Oliver Grant belt over een offerte voor twee laptops.", "Geen bestaande klant, doorgezet naar sales."],
            {},
            "no_match",
        ),
    ],
)
def test_look_alikes_namesakes_the_msp_and_placeholders_are_not_linked(index, texts, context, method):
    link = _link(index, _session(*texts, **context))
    assert (link.customer_id, link.method) == (None, method), link.candidates


def test_a_passing_mention_of_another_customer_does_not_outweigh_an_address(index):
    session = _session("Net als vorige week bij Slagerij de Vries: de printer van femke@tpzuidwijk.nl is offline.")
    assert _link(index, session).customer_id == "1"


def test_two_customers_with_decisive_evidence_are_left_for_review(index):
    link = _link(index, _session("Mail van balie@tpzuidwijk.nl", machine_names=["SDV-KASSA1"]))
    assert (link.customer_id, link.method) == (None, "ambiguous")
    assert {c.customer_id for c in link.candidates} == {"1", "4"}


def test_a_text_only_session_gives_the_llm_its_candidates(index):
    link = _link(index, _session("Slagerij de Vries of Tandartspraktijk Zuidwijk, ik weet niet meer welke."))
    assert not link.linked
    assert {c.customer_id for c in link.candidates} == {"1", "4"}


def test_custom_fields_fill_machines_domains_aliases_and_addresses():
    found = property_values(
        {"Werkplekken": "PC-01, PC-02\nLT-ANNE", "Website": "www.zuidwijk.co.uk", "Handelsnaam": "TPZ Mondzorg",
         "Notitie": "facturen naar administratie@zuidwijk.nl", "Aantal": 3, "Actief": True}
    )  # fmt: skip
    assert found == {
        "aliases": ["TPZ Mondzorg"],
        "domains": ["zuidwijk.co.uk"],
        "machines": ["PC-01", "PC-02", "LT-ANNE"],
        "emails": ["administratie@zuidwijk.nl"],
        "codes": [],
    }


def test_names_match_word_by_word():
    names = NameIndex()
    names.add("1", "Tandartspraktijk Zuidwijk Oost", person=False)
    names.add("2", "Jan de Vries", person=True)
    assert [m.how for m in names.find("Tandartspraktijk Zuidwijk", "field", free_text=False)] == ["word_missing"]
    assert names.find("Tandartspraktijk Zuidwijk", "text") == []  # running text must name it whole
    assert [m.how for m in names.find("Ik sprak J. de Vries vanochtend", "text")] == ["initials"]
    assert names.find("Jan de V. belde", "text") == []
    assert [w.text for w in words("Bakkerij de Vries B.V.")] == ["bakkerij", "de", "vries", "bv"]


def test_a_contact_is_named_only_by_that_persons_own_evidence(index):
    by_domain = _link(index, _session("Van: stagiair@tpzuidwijk.nl"))
    assert (by_domain.customer_id, by_domain.contact_id) == ("1", None)
    by_address = _link(index, _session("Van: femke@tpzuidwijk.nl"))
    assert (by_address.customer_id, by_address.contact_id) == ("1", "11")
