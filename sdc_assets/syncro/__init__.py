"""SyncroMSP: tickets as sessions, and customers, contacts and machines as the customer cache."""
