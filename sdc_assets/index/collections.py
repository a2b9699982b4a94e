"""Which Chroma collection holds the chunks of which source."""

COLLECTION_OF_SOURCE = {
    "screenconnect": "sessions",
    "sillytavern": "sessions",
    "notes": "sessions",
    "syncro": "tickets",
    "ticketportaal": "tickets",
}
COLLECTIONS = ("sessions", "tickets", "knowledge_base", "configuration_items")
