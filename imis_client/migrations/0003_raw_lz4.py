"""Compress the mirror's raw payloads with lz4 where the server supports it (PostgreSQL 14+).

Payloads over ~2 kB are TOAST-compressed; lz4 costs far less CPU than the default pglz when a
full sync writes a million of them. A server without lz4 keeps pglz: nothing else changes.
"""

from django.db import migrations

TABLES = [
    "imis_client_imisparty",
    "imis_client_imissubscription",
    "imis_client_imisinvoice",
    "imis_client_imisitem",
    "imis_client_imisevent",
    "imis_client_imiseventregistration",
    "imis_client_imisactivity",
    "imis_client_imisgroupmember",
    "imis_client_imiscommunication",
    "imis_client_imisrelationshipowner",
]

SQL = "\n".join(
    f"""DO $$ BEGIN
    ALTER TABLE {table} ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN others THEN NULL;
END $$;"""
    for table in TABLES
)


class Migration(migrations.Migration):
    dependencies = [("imis_client", "0002_mirror_synced_at_unindexed")]

    operations = [migrations.RunSQL(SQL, migrations.RunSQL.noop)]
