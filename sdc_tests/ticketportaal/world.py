"""A small ticketportaal: Dutch tickets, comments, dynamic fields, CIs and KB articles, built to exercise
every rule (day boundaries in Amsterdam, internal notes, a written-off CI, an unpublished article, two
tickets about the same printer, resolutions that match an article)."""

from datetime import date, datetime, timedelta

from sdc_assets.partitions import daily_partitions

PRINTER_TEXT = (
    "De printer PRN-FIN-01 op de afdeling Financiën drukt niet meer af. Afdruktaken blijven in de wachtrij "
    "staan en de printer geeft geen foutmelding."
)


def window(days: list[str]) -> tuple[datetime, datetime]:
    """What a run of ``days`` reads: its partitions' time window, the first day's start to the last one's end."""
    first, last = (daily_partitions.time_window_for_partition_key(day) for day in (min(days), max(days)))
    return first.start, last.end


def at(text: str) -> datetime:
    """A naive UTC time, as a TIMESTAMP column holds it."""
    return datetime.fromisoformat(text)


def users() -> list[dict]:
    return [
        dict(user_id=1, email="kees.jansen@kruitkramer.nl", first_name="Kees", last_name="Jansen",
             department="Financiën", role="user", location="Kantoor Utrecht", created_at=at("2024-01-05 09:00:00")),
        dict(user_id=2, email="priya.sharma@kruitkramer.nl", first_name="Priya", last_name="Sharma",
             department="ICT", role="agent", location="Kantoor Utrecht", created_at=at("2024-01-05 09:00:00")),
        dict(user_id=3, email="ruud.admin@kruitkramer.nl", first_name="Ruud", last_name="de Boer",
             department="ICT", role="admin", location="Kantoor Utrecht", created_at=at("2024-01-05 09:00:00")),
        dict(user_id=4, email="anouk.devries@kruitkramer.nl", first_name="Anouk", last_name="de Vries",
             department="HR", role="user", location="Thuiswerker", created_at=at("2024-02-01 09:00:00")),
    ]  # fmt: skip


def categories() -> list[dict]:
    return [
        dict(category_id=1, name="Hardware", description="Laptops, printers, randapparatuur", default_priority="medium",
             sla_hours=24),
        dict(category_id=2, name="Software", description="Applicaties en licenties", default_priority="medium",
             sla_hours=48),
        dict(category_id=3, name="Netwerk", description="VPN, wifi, internet", default_priority="high", sla_hours=8),
        dict(category_id=4, name="Account", description="Wachtwoorden en rechten", default_priority="high",
             sla_hours=4),
    ]  # fmt: skip


def category_fields() -> list[dict]:
    return [
        dict(field_id=1, category_id=1, field_name="hardware_brand", field_label="Merk", field_type="select",
             field_options='["HP", "Dell", "Lenovo"]', is_required=True, field_order=1),
        dict(field_id=2, category_id=1, field_name="hardware_model", field_label="Model", field_type="text",
             field_order=2),
        dict(field_id=3, category_id=1, field_name="location", field_label="Locatie", field_type="text",
             field_order=3),
        dict(field_id=4, category_id=2, field_name="software_name", field_label="Softwarenaam", field_type="text",
             field_order=1),
        dict(field_id=5, category_id=2, field_name="software_version", field_label="Versie", field_type="text",
             field_order=2),
    ]  # fmt: skip


def configuration_items() -> list[dict]:
    return [
        dict(ci_id=1, ci_number="CI-2025-0001", type="Hardware", category="Laptop", brand="HP",
             model="EliteBook 840 G8", name="LT-FIN-023", serial_number="5CG1234XYZ", asset_tag="KK-0231",
             status="In gebruik", owner_id=1, department="Financiën", location="Kantoor Utrecht",
             purchase_date=date(2023, 5, 1), warranty_expiry=date(2026, 5, 1), notes="Docking station aanwezig",
             created_at=at("2024-01-10 10:00:00"), updated_at=at("2025-01-10 10:00:00")),
        dict(ci_id=2, ci_number="CI-2025-0002", type="Hardware", category="Printer", brand="HP",
             model="LaserJet Pro M404dn", name="PRN-FIN-01", serial_number="PHBQ123456", asset_tag="KK-0102",
             status="In gebruik", department="Financiën", location="Kantoor Utrecht, 2.12",
             created_at=at("2024-01-10 10:00:00"), updated_at=at("2025-01-10 10:00:00")),
        dict(ci_id=3, ci_number="CI-2025-0003", type="Licentie", category="Office", brand="Microsoft",
             model="Microsoft 365 Apps for business", name="M365-LIC-FIN", status="In gebruik",
             department="Financiën", created_at=at("2024-01-10 10:00:00"), updated_at=at("2025-01-10 10:00:00")),
        dict(ci_id=4, ci_number="CI-2025-0004", type="Hardware", category="Desktop", brand="Dell",
             model="OptiPlex 7090", name="PC-HR-004", status="Afgeschreven", department="HR",
             created_at=at("2024-01-10 10:00:00"), updated_at=at("2025-01-10 10:00:00")),
        dict(ci_id=5, ci_number="CI-2025-0005", type="Hardware", category="Opslag", brand="Synology",
             model="DS920+", name="NAS01", status="Onderhoud", department="ICT", location="Serverruimte",
             created_at=at("2024-01-10 10:00:00"), updated_at=at("2025-01-10 10:00:00")),
    ]  # fmt: skip


def tickets() -> list[dict]:
    return [
        # 09:15 in Amsterdam on the 10th
        dict(ticket_id=1, ticket_number="KK-2025-0001", user_id=1, assigned_agent_id=2, category_id=1,
             title="Printer Financiën drukt niet af", description=PRINTER_TEXT, priority="high",
             ticket_type="incident", status="closed", source="web", created_at=at("2025-03-10 08:15:00"),
             updated_at=at("2025-03-10 14:00:00"), resolved_at=at("2025-03-10 13:55:00"),
             resolution="Printerdriver opnieuw geïnstalleerd en de print spooler service herstart; "
                        "de wachtrij is leeggemaakt en afdrukken werkt weer.",
             satisfaction_rating=5),
        # 23:30 in Amsterdam: still the 10th
        dict(ticket_id=2, ticket_number="KK-2025-0002", user_id=4, assigned_agent_id=None, category_id=4,
             title="Wachtwoord verlopen", description="Ik kan niet meer inloggen, mijn wachtwoord is verlopen. "
             "Mail mij op anouk.devries@kruitkramer.nl.", priority="high", ticket_type="service_request",
             status="open", source="email", created_at=at("2025-03-10 22:30:00"), updated_at=at("2025-03-10 22:30:00")),
        # 00:30 in Amsterdam: the 11th
        dict(ticket_id=3, ticket_number="KK-2025-0003", user_id=1, assigned_agent_id=2, category_id=1,
             title="Printer Financiën drukt weer niet af", description=PRINTER_TEXT + " Zie ook KK-2025-0001.",
             priority="medium", ticket_type="incident", status="resolved", source="phone",
             created_at=at("2025-03-10 23:30:00"), updated_at=at("2025-03-11 10:00:00"),
             resolved_at=at("2025-03-11 09:50:00"),
             resolution="Print spooler herstart en de printerdriver opnieuw geïnstalleerd; afdrukken werkt weer."),
        dict(ticket_id=4, ticket_number="KK-2025-0004", user_id=1, assigned_agent_id=2, category_id=2,
             title="Outlook crasht na update", description="Sinds de update van Microsoft 365 Apps for business "
             "crasht Outlook bij het openen van een gedeelde agenda op LT-FIN-023 (10.0.12.45).",
             priority="medium", ticket_type="incident", status="closed", source="web",
             created_at=at("2025-03-11 09:00:00"), updated_at=at("2025-03-11 15:00:00"),
             resolved_at=at("2025-03-11 14:45:00"),
             resolution="Office reparatie uitgevoerd via Instellingen, Apps: online herstel van Microsoft 365. "
                        "Outlook start weer zonder te crashen."),
        dict(ticket_id=5, ticket_number="KK-2025-0005", user_id=4, assigned_agent_id=3, category_id=3,
             title="VPN verbinding valt weg", description="Thuis valt de VPN verbinding elke tien minuten weg.",
             priority="high", ticket_type="incident", status="in_progress", source="phone",
             created_at=at("2025-03-12 10:00:00"), updated_at=at("2025-03-12 11:00:00")),
    ]  # fmt: skip


def ticket_comments() -> list[dict]:
    return [
        dict(comment_id=1, ticket_id=1, user_id=2, comment="Ik kijk er vandaag naar.", is_internal=False,
             created_at=at("2025-03-10 09:00:00")),
        dict(comment_id=2, ticket_id=1, user_id=2, comment="Intern: driver v5.2 is corrupt, opnieuw uitrollen.",
             is_internal=True, created_at=at("2025-03-10 09:30:00")),
        dict(comment_id=3, ticket_id=1, user_id=1, comment="Het werkt weer, dank je!", is_internal=False,
             created_at=at("2025-03-10 14:00:00")),
        dict(comment_id=4, ticket_id=2, user_id=4, comment="Graag snel, ik heb om 10 uur een overleg.",
             is_internal=False, created_at=at("2025-03-10 22:35:00")),
        dict(comment_id=5, ticket_id=3, user_id=2, comment="Zelfde probleem als vorige week.", is_internal=True,
             created_at=at("2025-03-11 08:00:00")),
        dict(comment_id=6, ticket_id=4, user_id=2, comment="Kun je de foutmelding sturen?", is_internal=False,
             created_at=at("2025-03-11 09:30:00")),
        dict(comment_id=7, ticket_id=4, user_id=1, comment="Outlook sluit zonder melding af.", is_internal=False,
             created_at=at("2025-03-11 10:00:00")),
        dict(comment_id=8, ticket_id=5, user_id=3, comment="Nieuwe VPN client uitgerold, graag testen.",
             is_internal=False, created_at=at("2025-03-12 11:00:00")),
    ]  # fmt: skip


def ticket_field_values() -> list[dict]:
    return [
        dict(value_id=1, ticket_id=1, field_id=1, field_value="HP"),
        dict(value_id=2, ticket_id=1, field_id=2, field_value="LaserJet Pro M404dn"),
        dict(value_id=3, ticket_id=1, field_id=3, field_value="Kantoor Utrecht, 2.12"),
        dict(value_id=4, ticket_id=3, field_id=1, field_value="HP"),
        dict(value_id=5, ticket_id=4, field_id=4, field_value="Outlook"),
        dict(value_id=6, ticket_id=4, field_id=5, field_value="2402"),
    ]


def ticket_ci_relations() -> list[dict]:
    return [
        dict(relation_id=1, ticket_id=1, ci_id=2),
        dict(relation_id=2, ticket_id=4, ci_id=1),
        dict(relation_id=3, ticket_id=4, ci_id=3),
    ]


def knowledge_base() -> list[dict]:
    return [
        dict(kb_id=1, category_id=1, title="Printer drukt niet af: spooler herstarten",
             content="<h2>Printer drukt niet af</h2><p>Blijven afdruktaken in de wachtrij staan?</p><ol>"
                     "<li>Herstart de print spooler service.</li><li>Installeer de printerdriver opnieuw.</li>"
                     "<li>Maak de wachtrij leeg.</li></ol><p>Daarna werkt afdrukken weer.&nbsp;</p>",
             tags="printer,spooler,driver", author_id=2, views=42, is_published=True,
             created_at=at("2024-06-01 10:00:00"), updated_at=at("2025-01-15 10:00:00")),
        dict(kb_id=2, category_id=2, title="Microsoft 365 herstellen",
             content="<p>Crasht Outlook of Word na een update? Voer een <b>online herstel</b> uit via "
                     "Instellingen &gt; Apps &gt; Microsoft 365 &gt; Wijzigen.</p><script>track()</script>",
             tags="office,outlook,herstel", author_id=2, views=17, is_published=True,
             created_at=at("2024-06-02 10:00:00"), updated_at=at("2025-01-15 10:00:00")),
        dict(kb_id=3, category_id=3, title="Concept: nieuwe VPN client", content="<p>Nog niet klaar.</p>",
             tags="vpn", author_id=3, views=0, is_published=False,
             created_at=at("2025-03-01 10:00:00"), updated_at=at("2025-03-01 10:00:00")),
    ]  # fmt: skip


def world() -> dict[str, list[dict]]:
    return {
        "users": users(),
        "categories": categories(),
        "category_fields": category_fields(),
        "configuration_items": configuration_items(),
        "tickets": tickets(),
        "ticket_comments": ticket_comments(),
        "ticket_field_values": ticket_field_values(),
        "ticket_ci_relations": ticket_ci_relations(),
        "knowledge_base": knowledge_base(),
    }


def recent_world(days_ago: int = 2) -> dict[str, list[dict]]:
    """The same portal, moved in time so that its last ticket was created ``days_ago`` days ago."""
    rows = world()
    shift = datetime.now().replace(microsecond=0) - timedelta(days=days_ago) - datetime(2025, 3, 12, 10)
    return {
        table: [{k: v + shift if isinstance(v, datetime) else v for k, v in row.items()} for row in items]
        for table, items in rows.items()
    }
