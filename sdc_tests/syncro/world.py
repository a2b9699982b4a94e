"""A small MSP's Syncro account, shaped like the official API's JSON: customers, contacts, machines, tickets."""

from itertools import count

CUSTOMERS = [
    (101, "Bakkerij de Vries", "Jan", "de Vries", "info@bakkerijdevries.nl", "+31 30 123 4567"),
    (102, "Jansen Installatietechniek B.V.", "Kees", "Jansen", "k.jansen@jansen-it.nl", "06-12345678"),
    (103, "Huisartsenpraktijk Zuid", "Anouk", "Smit", "praktijk@hapzuid.nl", "0031 20 765 4321"),
    (104, "Café Het Hoekje", "Henk", "Mulder", "hethoekje@gmail.com", "010 222 3344"),
    (105, "Northwind Legal LLP", "Sarah", "Collins", "it@northwindlegal.co.uk", "+44 20 7946 0000"),
    (106, None, "Peter", "Bakker", "p.bakker@hotmail.com", "06 98765432"),
]
CONTACTS = [
    (201, 101, "Jan de Vries", "jan@bakkerijdevries.nl", "Eigenaar"),
    (202, 101, "Fatima el Amrani", "fatima@bakkerijdevries.nl", "Filiaalleider"),
    (203, 102, "Kees Jansen", "k.jansen@jansen-it.nl", "Directeur"),
    (204, 102, "Sanne Jansen", "s.jansen@jansen-it.nl", "Office manager"),
    (205, 103, "Dr. Anouk Smit", "a.smit@hapzuid.nl", "Huisarts"),
    (206, 103, "Mirjam Kok", "assistente@hapzuid.nl", "Doktersassistente"),
    (207, 105, "Sarah Collins", "s.collins@northwindlegal.co.uk", "Office Manager"),
]
MACHINES = [
    (301, 101, "DEVRIES-KASSA01", "Desktop"),
    (302, 102, "JIT-LT-014", "Laptop"),
    (303, 102, "JIT-SRV-01", "Server"),
    (304, 103, "HAPZUID-BALIE", "Desktop"),
    (305, 104, "HOEKJE-PC", "Desktop"),
    (306, 105, "NWL-FS01", "Server"),
]
TECHS = {1: ("Jan Visser", "jan@msp.example"), 2: ("Priya Raman", "priya@msp.example")}

# (ticket id, customer, contact, subject, status, problem type, priority, created, properties, comments)
# comments: (minutes after creation, tech user id or None for the customer, hidden, subject, body)
TICKETS = [
    (
        5001,
        101,
        201,
        "Bonprinter geeft Error na update",
        "Resolved",
        "Hardware",
        "2 Normal",
        "2025-03-10T08:12:03.120Z",
        {"Device Type": "Printer", "Locatie": "Winkel"},
        [
            (0, None, False, "Initial Issue", "De bonprinter HP M404dn geeft sinds de Windows-update steeds Error."),
            (25, 1, True, "Interne notitie", "Driver 48.1 teruggezet, spooler herstart."),
            (40, 1, False, "Update", "We hebben de driver teruggezet. Kunt u een testbon afdrukken?"),
            (95, None, False, "Re: Update", "Testbon komt er goed uit, dank!"),
            (100, 1, False, "Opgelost", "Oplossing: oude driver 48.1 geïnstalleerd en Windows-update gepauzeerd."),
        ],
    ),
    (
        5002,
        102,
        203,
        "Outlook vraagt steeds om wachtwoord",
        "In Progress",
        "Email",
        "1 High",
        "2025-03-10T13:02:00+01:00",
        {"Device Type": "Laptop", "Machine": "JIT-LT-014"},
        [
            (0, None, False, "Initial Issue", "Na de M365-migratie vraagt Outlook op drie laptops om het wachtwoord."),
            (30, 2, False, "Update", "Nieuw Outlook-profiel aangemaakt op JIT-LT-014, modern auth aangezet."),
            (60, 2, True, "Interne notitie", "Check conditional access policy voor legacy auth."),
        ],
    ),
    (
        5003,
        103,
        206,
        "Back-up mislukt: NAS vol",
        "Resolved",
        "Backup",
        "1 High",
        "2025-03-11T07:45:10Z",
        {},
        [
            (0, None, False, "Initial Issue", "Veeam meldt dat de back-up vannacht is mislukt."),
            (
                20,
                1,
                False,
                "Resolution",
                "Oude herstelpunten opgeruimd, 1,2 TB vrij. Back-up handmatig gestart en geslaagd.",
            ),
        ],
    ),
    (
        5004,
        105,
        207,
        "VPN drops every ten minutes",
        "Waiting on Customer",
        "Network",
        "2 Normal",
        "2025-03-11T16:20:00+00:00",
        {"Device Type": "Laptop"},
        [
            (0, None, False, "Initial Issue", "Our VPN connection drops every ten minutes on the sales laptops."),
            (45, 2, False, "Update", "Please install FortiClient 7.2.4 and tell us whether the drops continue."),
        ],
    ),
    (
        5005,
        104,
        None,
        "Kassa-pc start niet op",
        "New",
        "Hardware",
        "1 High",
        "2025-03-12T09:20:00+01:00",
        {},
        [(0, None, False, "Initial Issue", "De kassa-pc HOEKJE-PC blijft hangen op het Windows-logo.")],
    ),
    (
        5006,
        106,
        None,
        "Laptop traag na virusmelding",
        "Resolved",
        "Virus",
        "3 Low",
        "2025-03-13T18:05:00Z",
        {},
        [
            (0, None, False, "Initial Issue", "Mijn laptop is erg traag sinds een virusmelding van Defender."),
            (900, 1, False, "Update", "Volledige scan uitgevoerd, twee adware-programma's verwijderd."),
            (905, 1, False, "Opgelost", "Opgelost: adware verwijderd, opstartprogramma's opgeschoond."),
        ],
    ),
]


def _customer(cid, business, first, last, email, phone, contacts) -> dict:
    full = f"{first} {last}"
    return {
        "id": cid,
        "firstname": first,
        "lastname": last,
        "fullname": full,
        "business_name": business,
        "business_then_name": business or full,
        "business_and_full_name": f"{business} ({full})" if business else full,
        "email": email,
        "phone": phone,
        "mobile": None,
        "address": None,
        "city": None,
        "zip": None,
        "disabled": False,
        "properties": {},
        "contacts": contacts,
        "created_at": "2023-05-02T09:00:00.000Z",
        "updated_at": "2025-01-15T10:00:00.000Z",
    }


def _contact(kid, cid, name, email, title) -> dict:
    return {
        "id": kid,
        "customer_id": cid,
        "name": name,
        "email": email,
        "phone": None,
        "mobile": None,
        "properties": {"title": title},
        "created_at": "2023-05-02T09:00:00.000Z",
        "updated_at": "2024-11-02T09:00:00.000Z",
    }


def _at(created: str, minutes: int) -> str:
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(created.replace("Z", "+00:00"))
    return (start + timedelta(minutes=minutes)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def world() -> dict:
    """Every record, tickets with all their comments (the server cuts them back like Syncro does)."""
    contacts = [_contact(*c) for c in CONTACTS]
    customers = [
        _customer(*c, [k for k in contacts if k["customer_id"] == c[0]][:1]) for c in CUSTOMERS
    ]  # Syncro embeds some contacts, /contacts has them all
    machines = [
        {"id": mid, "customer_id": cid, "name": name, "asset_type": kind, "asset_serial": f"SN{mid}", "properties": {}}
        for mid, cid, name, kind in MACHINES
    ]
    names = {c["id"]: c["business_then_name"] for c in customers}
    contact_names = {k["id"]: k["name"] for k in contacts}
    comment_ids = count(90001)
    tickets = []
    for tid, cid, kid, subject, status, problem, priority, created, properties, comments in TICKETS:
        tech_id = next((c[1] for c in comments if c[1]), None)
        rendered = [
            {
                "id": next(comment_ids),
                "created_at": _at(created, minutes),
                "updated_at": _at(created, minutes),
                "ticket_id": tid,
                "subject": csubject,
                "body": body,
                "tech": TECHS[user][0] if user else contact_names.get(kid, names[cid]),
                "hidden": hidden,
                "user_id": user,
            }
            for minutes, user, hidden, csubject, body in comments
        ]
        tickets.append(
            {
                "id": tid,
                "number": tid - 4000,
                "subject": subject,
                "created_at": created,
                "updated_at": rendered[-1]["updated_at"],
                "resolved_at": rendered[-1]["created_at"] if status == "Resolved" else None,
                "customer_id": cid,
                "customer_business_then_name": names[cid],
                "contact_id": kid,
                "contact_fullname": contact_names.get(kid),
                "problem_type": problem,
                "status": status,
                "priority": priority,
                "ticket_type_name": "Support",
                "properties": properties,
                "user_id": tech_id,
                "user": {"id": tech_id, "email": TECHS[tech_id][1], "full_name": TECHS[tech_id][0]}
                if tech_id
                else None,
                "tag_list": [problem.lower()],
                "comments": rendered,
            }
        )
    return {"customers": customers, "contacts": contacts, "assets": machines, "tickets": tickets}
