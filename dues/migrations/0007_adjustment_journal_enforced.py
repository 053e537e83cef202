"""The adjustment journal's rules, enforced by the database as the payment journal's are (0002).

- dues_adjustmententry and dues_adjustmentline are append-only: UPDATE and DELETE are refused
  (a posted adjustment is undone by a reversing entry).
- Every entry's lines sum to zero, with at least two lines, all on the entry's one invoice:
  deferred constraint triggers check it at commit.
"""

from django.db import migrations

SQL = r"""
CREATE TRIGGER dues_adjustmententry_append_only BEFORE UPDATE OR DELETE ON dues_adjustmententry
    FOR EACH ROW EXECUTE FUNCTION dues_journal_refuse();
CREATE TRIGGER dues_adjustmentline_append_only BEFORE UPDATE OR DELETE ON dues_adjustmentline
    FOR EACH ROW EXECUTE FUNCTION dues_journal_refuse();

CREATE OR REPLACE FUNCTION dues_adjustment_check_entry(entry bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    n integer;
    invoices integer;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*), count(DISTINCT invoice_id)
      INTO total, n, invoices
      FROM dues_adjustmentline WHERE entry_id = entry;
    IF n < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'adjustment entry % does not balance: % line(s) summing to %',
            entry, n, total USING ERRCODE = 'check_violation';
    END IF;
    IF invoices <> 1 THEN
        RAISE EXCEPTION 'adjustment entry % spans % invoices; an adjustment is on one invoice',
            entry, invoices USING ERRCODE = 'check_violation';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION dues_adjustment_line_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dues_adjustment_check_entry(NEW.entry_id);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION dues_adjustment_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dues_adjustment_check_entry(NEW.id);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER dues_adjustmentline_balanced AFTER INSERT ON dues_adjustmentline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dues_adjustment_line_balanced();
CREATE CONSTRAINT TRIGGER dues_adjustmententry_balanced AFTER INSERT ON dues_adjustmententry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dues_adjustment_entry_balanced();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS dues_adjustmententry_balanced ON dues_adjustmententry;
DROP TRIGGER IF EXISTS dues_adjustmentline_balanced ON dues_adjustmentline;
DROP TRIGGER IF EXISTS dues_adjustmentline_append_only ON dues_adjustmentline;
DROP TRIGGER IF EXISTS dues_adjustmententry_append_only ON dues_adjustmententry;
DROP FUNCTION IF EXISTS dues_adjustment_entry_balanced();
DROP FUNCTION IF EXISTS dues_adjustment_line_balanced();
DROP FUNCTION IF EXISTS dues_adjustment_check_entry(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("dues", "0006_credit_memos")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
