"""A labeled linking set: a customer cache of Dutch MSP customers and 70 sessions across sources, each with the
customer it belongs to (or None when no automatic link is right: ambiguous, unknown, abbreviations)."""

from datetime import UTC, datetime

from sdc_assets.sessions.model import Session, SessionContext, SessionInsights, SessionMeta, SourceSystem
from sdc_assets.syncro.customers import customer_cache_table

CUSTOMERS = [
    # id, business name, person name, customer e-mail, phone, contacts (id, name, email, phone), machines
    ("101", "Bakkerij de Vries B.V.", None, "info@bakkerijdevries.nl", "030-2345678",
     [("1001", "Jan de Vries", "jan@bakkerijdevries.nl", "06-12345678")], ["BDV-KASSA-01"]),
    ("102", "Jansen Installatietechniek B.V.", None, "info@jansen-installatie.nl", "0318-456789",
     [("1002", "Piet Jansen", "piet@jansen-installatie.nl", "06-23456789")], ["JIT-LT-014"]),
    ("103", None, "Sandra Bos", "sandra.bos@gmail.com", "06-34567890", [], ["SANDRA-PC"]),
    ("104", "Tandartspraktijk Smile", None, "balie@tandartssmile.nl", "030-1234567",
     [("1004", "Eva Smit", "eva@tandartssmile.nl", "06-45678901")], ["SMILE-BALIE-1"]),
    ("105", "De Vries Transport B.V.", None, "planning@devriestransport.nl", "0345-678901",
     [("1005", "Kees de Vries", "kees@devriestransport.nl", "06-56789012")], ["DVT-PLAN-02"]),
    ("106", "Huisartsenpraktijk Centrum", None, "info@hapcentrum.nl", "020-7654321",
     [("1006", "Mohammed Amrani", "m.amrani@hapcentrum.nl", "06-67890123")], ["HAP-SPREEK-3"]),
    ("107", "Stichting Buurthuis De Brug", None, "bestuur@buurthuisdebrug.nl", "010-5556677", [], ["BRUG-NUC"]),
    ("108", "Autobedrijf Van Dijk V.O.F.", None, "werkplaats@autovandijk.nl", "0299-112233",
     [("1008", "Henk van Dijk", "henk@autovandijk.nl", "06-78901234")], ["AVD-WERKPLAATS"]),
    ("109", "Accountantskantoor Meijer & Zn", None, "post@meijeraccountants.nl", "040-9988776",
     [("1009", "Linda Meijer", "linda@meijeraccountants.nl", "06-89012345")], ["MEIJER-FS01"]),
    ("110", "Bloemenhuis Flora", "Fleur de Boer", "fleur.deboer@hotmail.com", "06-90123456", [], ["FLORA-KASSA"]),
    ("111", "Van Dijk Advocaten N.V.", None, "secretariaat@vandijkadvocaten.nl", "070-3344556",
     [("1011", "Mr. Sophie van Dijk", "sophie@vandijkadvocaten.nl", "06-11223344")], ["VDA-DC01"]),
    ("112", "Gemeente Zuidstad", None, "ict@zuidstad.nl", "0800-1234", [], ["ZS-RAADHUIS-01"]),
]  # fmt: skip

# (source, context fields, expected customer id or None)
CASES = [
    # exact e-mail of a contact, or of the customer
    ("screenconnect", {"emails": ["jan@bakkerijdevries.nl"]}, "101"),
    ("notes", {"emails": ["Piet@Jansen-Installatie.nl"]}, "102"),
    ("sillytavern", {"emails": ["sandra.bos@gmail.com"]}, "103"),
    ("notes", {"emails": ["eva@tandartssmile.nl"]}, "104"),
    ("screenconnect", {"emails": ["kees@devriestransport.nl"]}, "105"),
    ("notes", {"emails": ["m.amrani@hapcentrum.nl"]}, "106"),
    ("notes", {"emails": ["bestuur@buurthuisdebrug.nl"]}, "107"),
    ("screenconnect", {"emails": ["henk@autovandijk.nl"]}, "108"),
    ("notes", {"emails": ["linda@meijeraccountants.nl"]}, "109"),
    ("sillytavern", {"emails": ["fleur.deboer@hotmail.com"]}, "110"),
    ("notes", {"emails": ["sophie@vandijkadvocaten.nl"]}, "111"),
    ("screenconnect", {"emails": ["ict@zuidstad.nl"]}, "112"),
    # an unknown address at the customer's own domain
    ("notes", {"emails": ["stagiair@bakkerijdevries.nl"]}, "101"),
    ("notes", {"emails": ["receptie@tandartssmile.nl"]}, "104"),
    ("screenconnect", {"emails": ["assistent@hapcentrum.nl"]}, "106"),
    ("notes", {"emails": ["w.bakker@zuidstad.nl"]}, "112"),
    # a shared provider's domain must not link anyone
    ("notes", {"emails": ["onbekend1987@gmail.com"]}, None),
    ("sillytavern", {"emails": ["klant@hotmail.com"]}, None),
    ("notes", {"emails": ["iemand@ziggo.nl"]}, None),
    # phones in other notations
    ("notes", {"phones": ["+31 6 1234 5678"]}, "101"),
    ("screenconnect", {"phones": ["0031623456789"]}, "102"),
    ("notes", {"phones": ["(030) 123 45 67"]}, "104"),
    ("notes", {"phones": ["+31-40-9988776"]}, "109"),
    ("notes", {"phones": ["06 90 12 34 56"]}, "110"),
    # machine names (ScreenConnect GuestMachineName, RMM Computer)
    ("screenconnect", {"machine_names": ["BDV-KASSA-01"]}, "101"),
    ("screenconnect", {"machine_names": ["jit-lt-014"]}, "102"),
    ("screenconnect", {"machine_names": ["SMILE-BALIE-1"]}, "104"),
    ("screenconnect", {"machine_names": ["DVT-PLAN-02"]}, "105"),
    ("screenconnect", {"machine_names": ["BRUG-NUC"]}, "107"),
    ("screenconnect", {"machine_names": ["VDA-DC01"]}, "111"),
    ("screenconnect", {"machine_names": ["UNKNOWN-PC-7"]}, None),
    # the company property / customer name as written, legal forms and punctuation aside
    ("screenconnect", {"customer_name": "Bakkerij de Vries"}, "101"),
    ("screenconnect", {"customer_name": "JANSEN INSTALLATIETECHNIEK BV"}, "102"),
    ("screenconnect", {"customer_name": "Tandartspraktijk Smile"}, "104"),
    ("notes", {"customer_name": "De Vries Transport BV"}, "105"),
    ("screenconnect", {"customer_name": "Huisartsenpraktijk Centrum"}, "106"),
    ("notes", {"customer_name": "Buurthuis De Brug"}, "107"),
    ("screenconnect", {"customer_name": "Autobedrijf van Dijk vof"}, "108"),
    ("notes", {"customer_name": "Accountantskantoor Meijer & Zn."}, "109"),
    ("notes", {"customer_name": "Bloemenhuis Flora"}, "110"),
    ("screenconnect", {"customer_name": "Van Dijk Advocaten NV"}, "111"),
    ("notes", {"customer_name": "Gemeente Zuidstad"}, "112"),
    ("notes", {"customer_name": "Sandra Bos"}, "103"),
    # typos
    ("notes", {"customer_name": "Bakkerij de Vris"}, "101"),
    ("screenconnect", {"customer_name": "Jansen Instalatietechniek"}, "102"),
    ("notes", {"customer_name": "Tandarstpraktijk Smile"}, "104"),
    ("notes", {"customer_name": "Huisartspraktijk Centrum"}, "106"),
    ("screenconnect", {"customer_name": "Acountantskantoor Meijer"}, "109"),
    ("notes", {"customer_name": "Bloemenhuis Flor"}, "110"),
    ("notes", {"customer_name": "Gemeente Zuidsad"}, "112"),
    # contact names
    ("sillytavern", {"contact_name": "Eva Smit"}, "104"),
    ("notes", {"contact_name": "Linda Meijer"}, "109"),
    ("notes", {"contact_name": "Fleur de Boer"}, "110"),
    # ambiguous: two customers share the name part
    ("notes", {"customer_name": "De Vries"}, None),
    ("notes", {"customer_name": "Van Dijk"}, None),
    ("sillytavern", {"contact_name": "de Vries"}, None),
    # abbreviations and unknowns: no automatic link
    ("notes", {"customer_name": "JIT"}, None),
    ("notes", {"customer_name": "Garage Hendriks"}, None),
    ("screenconnect", {"customer_name": "Bakkerij Jansen"}, None),
    ("notes", {"customer_name": "Huisartsenpraktijk Noord"}, None),
    ("sillytavern", {}, None),
    # conflicting evidence: e-mail of one customer, machine of another
    ("screenconnect", {"emails": ["jan@bakkerijdevries.nl"], "machine_names": ["DVT-PLAN-02"]}, None),
    # agreeing evidence of several kinds
    ("screenconnect", {"customer_name": "Bakkerij de Vries", "machine_names": ["BDV-KASSA-01"]}, "101"),
    ("notes", {"emails": ["henk@autovandijk.nl"], "phones": ["06-78901234"]}, "108"),
    # a first name alone, and a namesake whose own e-mail domain is another organisation's
    ("sillytavern", {"contact_name": "Sanne"}, None),
    ("sillytavern", {"contact_name": "Jan"}, None),
    ("notes", {"contact_name": "Linda Meijer", "emails": ["linda.meijer@kruitkramer.nl"]}, None),
    ("notes", {"contact_name": "Eva Smit", "emails": ["eva.smit1980@gmail.com"]}, "104"),
    # Syncro tickets carry the customer id itself
    ("syncro", {"customer_id": "105", "contact_id": "1005", "customer_name": "De Vries Transport B.V."}, "105"),
    ("syncro", {"customer_id": "111", "customer_name": "Van Dijk Advocaten N.V."}, "111"),
    ("syncro", {"customer_id": "112"}, "112"),
    ("syncro", {"customer_id": "103", "customer_name": "Sandra Bos"}, "103"),
]


def cache_table():
    customers, contacts, machines = [], [], []
    for cid, business, person, email, phone, people, names in CUSTOMERS:
        customers.append(
            {"id": int(cid), "business_name": business, "fullname": person, "email": email, "phone": phone,
             "business_then_name": business or person}
        )  # fmt: skip
        contacts += [
            {"id": int(k), "customer_id": int(cid), "name": n, "email": e, "phone": p} for k, n, e, p in people
        ]
        machines += [{"id": 9000 + len(machines), "customer_id": int(cid), "name": m} for m in names]
    return customer_cache_table(customers, contacts, machines)


def labeled_sessions() -> list[tuple[Session, str | None]]:
    started = datetime(2025, 3, 10, 9, tzinfo=UTC)
    cases = []
    for n, (source, context, expected) in enumerate(CASES):
        session = Session(
            meta=SessionMeta.for_source(SourceSystem(source), f"label/{n}", [], "2025-03-10"),
            context=SessionContext(**context),
            insights=SessionInsights(started_at=started),
        ).with_content_hash()
        cases.append((session, expected))
    return cases
