"""Which Chroma collection holds the chunks of which source."""

COLLECTION_OF_SOURCE = {
    "screenconnect": "sessions",
    "sillytavern": "sessions",
    "notes": "sessions",
    "syncro": "tickets",
    "ticketportaal": "tickets",
}
COLLECTIONS = ("sessions", "tickets", "knowledge_base", "configuration_items")
DAILY_COLLECTIONS = sorted(set(COLLECTION_OF_SOURCE.values()))
"""The collections of the daily chunks (the others hold the portal's KB articles and CIs)."""
