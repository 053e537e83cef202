"""The audit trail, enforced by the database: append-only, and every row hash-chained.

A BEFORE INSERT trigger takes a lock, gives the row the next id (so id order is chain order even
when transactions race), and computes row_hash = sha256(prev_hash, the row's canonical text).
common_audit_canonical() is the one definition of that text; `audit_verify` uses it too.
UPDATE and DELETE are refused for everyone. (TRUNCATE is left to the table owner: Django's test
flush needs it, and it is not a row-level change.)
"""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION common_audit_canonical(
    id bigint, occurred_at timestamptz, actor_id bigint, actor_name text, action text,
    object_type text, object_id text, member_id text, summary text, data jsonb
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(E'\x1f', id::text,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        coalesce(actor_id::text, ''), actor_name, action, object_type, object_id, member_id,
        summary, data::text)
$$;

CREATE OR REPLACE FUNCTION common_audit_row_hash(prev text, canonical text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(coalesce(prev, '') || E'\x1e' || canonical, 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION common_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('common_auditevent_chain'));
    NEW.id := nextval(pg_get_serial_sequence('common_auditevent', 'id'));
    SELECT row_hash INTO NEW.prev_hash FROM common_auditevent ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(NEW.prev_hash, '');
    NEW.row_hash := common_audit_row_hash(NEW.prev_hash, common_audit_canonical(
        NEW.id, NEW.occurred_at, NEW.actor_id, NEW.actor_name, NEW.action, NEW.object_type,
        NEW.object_id, NEW.member_id, NEW.summary, NEW.data));
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION common_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on common_auditevent is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER common_auditevent_chain BEFORE INSERT ON common_auditevent
    FOR EACH ROW EXECUTE FUNCTION common_audit_chain();
CREATE TRIGGER common_auditevent_append_only BEFORE UPDATE OR DELETE ON common_auditevent
    FOR EACH ROW EXECUTE FUNCTION common_audit_refuse();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS common_auditevent_append_only ON common_auditevent;
DROP TRIGGER IF EXISTS common_auditevent_chain ON common_auditevent;
DROP FUNCTION IF EXISTS common_audit_refuse();
DROP FUNCTION IF EXISTS common_audit_chain();
DROP FUNCTION IF EXISTS common_audit_row_hash(text, text);
DROP FUNCTION IF EXISTS common_audit_canonical(
    bigint, timestamptz, bigint, text, text, text, text, text, text, jsonb);
"""


class Migration(migrations.Migration):
    dependencies = [("common", "0003_audit_event")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
