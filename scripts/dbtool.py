"""Prepare the database named in DATABASE_URL: check it answers, create it if missing.

Called by scripts/demo.sh and scripts/test.sh with the project's virtualenv python.
"""

import sys
from urllib.parse import unquote, urlparse

import psycopg
from psycopg import sql


def main() -> int:
    url = sys.argv[1]
    parts = urlparse(url)
    name = unquote(parts.path.lstrip("/"))
    admin_url = parts._replace(path="/postgres").geturl()
    where = f"{parts.hostname or 'local socket'}:{parts.port or 5432}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name} on {where}")
            else:
                print(f"database {name} on {where} is ready")
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        print(
            f"PostgreSQL at {where} refused the connection as user {parts.username!r}: {first}\n"
            "Set DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME for a user that may "
            "create databases, or unset it to let the script start a project-local server.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
