"""RESOLVED_BY by meaning crosses languages: a Dutch resolution reaches its English article (and no look-alike)."""

from sdc_assets.graph.assets import GraphConfig
from sdc_assets.graph.similarity import Vectors, best_matches

RESOLUTIONS = {
    "ticket_1": "Printer Financiën drukt niet af\nResolution:\nPrint spooler herstart en de wachtrij leeggemaakt.",
    "ticket_2": "Outlook vraagt steeds om wachtwoord\nResolution:\nNieuw Outlook-profiel, modern authentication aan.",
}
ARTICLES = {
    "kb_1": "Printer does not print: restart the Print Spooler service and clear the print queue.",
    "kb_2": "Outlook keeps prompting for credentials: create a new profile and enable modern authentication.",
    "kb_3": "Replacing the toner: how to replace the toner cartridge of the HP LaserJet printer.",
    "kb_4": "VPN drops every few minutes: update FortiClient and disable IPv6 on the adapter.",
}


def test_a_dutch_resolution_is_resolved_by_its_english_article_only(embedder):
    queries = Vectors(list(RESOLUTIONS), embedder.encode(list(RESOLUTIONS.values())))
    targets = Vectors(list(ARTICLES), embedder.encode(list(ARTICLES.values())))
    config = GraphConfig()
    found = best_matches(queries, targets, config.resolution_threshold, config.neighbours, exclude_self=False)
    assert {node: [kb for kb, _ in matches] for node, matches in found.items()} == {
        "ticket_1": ["kb_1"],
        "ticket_2": ["kb_2"],
    }
