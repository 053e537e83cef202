"""Month-end close: GL mapping, deposits, reconciliation, adjusting entries, period lock, export."""
