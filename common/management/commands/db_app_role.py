"""Create or update the database role the web server and workers run as (run as the owner).

Migrations run as the role that owns the schema; the app runs as this one. It reads and writes
the business tables, but on the audit table it may only read and insert: no UPDATE, DELETE or
TRUNCATE, and, owning nothing there, it cannot disable the append-only trigger or rebuild the
chain. The iMIS mirror tables are the exception that owns itself: an initial sync drops and
rebuilds their secondary indexes, which takes ownership, so the app role owns those and the
owner is made a member of the app role to keep migrating them. Run it after every migrate
(the scripts do); it is idempotent. Prints JSON.
"""

import json
import os

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

AUDIT_TABLE = "common_auditevent"


def _tables_the_role_owns() -> list[str]:
    """What apps declare (AppConfig.app_role_owns) that their own runtime DDL needs to own."""
    return sorted(
        table
        for config in apps.get_app_configs()
        for table in (getattr(config, "app_role_owns", lambda: [])())
    )


class Command(BaseCommand):
    help = "Create or update the app's own database role: no ownership, audit table insert-only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--role", default=os.environ.get("DATABASE_APP_ROLE", "duesdesk_app"), help="role name"
        )

    def handle(self, *args, role: str, **options):
        password = os.environ.get("DATABASE_APP_PASSWORD", "")
        r = sql.Identifier(role)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            if owner == role:
                raise CommandError("Run this as the schema's owner, not as the app role itself.")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            created = cursor.fetchone() is None
            try:
                if created:
                    cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(r))
                if password:
                    cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(r), [password])
            except Exception as exc:
                raise CommandError(
                    f"{owner} may not create or alter roles ({exc}); ask your DBA to create "
                    f"the login role {role} and run this again."
                ) from exc
            statements = [
                "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {r}",
                # CREATE: the mirror's rebuilt indexes are new relations in the schema.
                "GRANT USAGE, CREATE ON SCHEMA public TO {r}",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
                "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {r}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                "GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {r}",
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AUDIT_TABLE} FROM {{r}}",
                "GRANT {r} TO {owner}",
            ]
            for statement in statements:
                cursor.execute(
                    sql.SQL(statement).format(
                        r=r, db=sql.Identifier(database), owner=sql.Identifier(owner)
                    )
                )
            mirror = _tables_the_role_owns()
            for table in mirror:
                cursor.execute(
                    sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(table), r)
                )
            cursor.execute(
                "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = %s",
                [AUDIT_TABLE],
            )
            audit_owner = cursor.fetchone()[0]
        if audit_owner == role:
            raise CommandError(f"{role} owns {AUDIT_TABLE}; it must belong to the schema owner.")
        self.stdout.write(
            json.dumps(
                {
                    "role": role,
                    "created": created,
                    "owner": owner,
                    "audit_table": "select, insert",
                    "owns": mirror,
                }
            )
        )
