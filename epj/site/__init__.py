"""The EPJ's own web process: its settings, URLconf, sessions and HelseID login (docs/identity.md)."""
