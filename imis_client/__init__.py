"""The iMIS connection: REST client, contract parsers, mirror, sync and outbox."""
