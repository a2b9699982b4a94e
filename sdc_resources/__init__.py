"""Connections to the outside: folders, stores and services SDC reads and writes."""
