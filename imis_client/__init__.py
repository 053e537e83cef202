"""The iMIS connection: REST client, contract parsers, mirror, sync, outbox and the sandbox."""
