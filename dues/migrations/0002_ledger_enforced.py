"""The journal's rules, enforced by the database whatever code (or raw SQL) writes to it.

- dues_journaltransaction and dues_journalline are append-only: UPDATE and DELETE are refused
  (TRUNCATE stays with the table owner, as for the audit trail: the test flush needs it).
- Every transaction's lines sum to zero, with at least two lines all of the transaction's
  payment: deferred constraint triggers check it at commit, so lines may arrive in any order.
- Per payment: cash clearing stays between zero and the amount received; unapplied credit, hold
  and receivable never go to a debit balance (no payment gives out more than it brought in).
- Per invoice: hold + receivable never exceed the invoice's cap (dues_invoicecap). The trigger
  locks the cap row, so two transactions applying to one invoice are checked one after the other.
- A payment's amount, currency, source, dedupe key and payload never change; payments are never
  deleted.
"""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION dues_journal_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only: % on % is refused; record a reversal instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER dues_journaltransaction_append_only
    BEFORE UPDATE OR DELETE ON dues_journaltransaction
    FOR EACH ROW EXECUTE FUNCTION dues_journal_refuse();
CREATE TRIGGER dues_journalline_append_only BEFORE UPDATE OR DELETE ON dues_journalline
    FOR EACH ROW EXECUTE FUNCTION dues_journal_refuse();

CREATE OR REPLACE FUNCTION dues_journal_check_transaction(txn bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    n integer;
    strangers integer;
BEGIN
    SELECT coalesce(sum(l.amount), 0), count(*), count(*) FILTER (WHERE l.payment_id <> t.payment_id)
      INTO total, n, strangers
      FROM dues_journaltransaction t LEFT JOIN dues_journalline l ON l.transaction_id = t.id
     WHERE t.id = txn;
    IF n < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'journal transaction % does not balance: % line(s) summing to %',
            txn, n, total USING ERRCODE = 'check_violation';
    END IF;
    IF strangers > 0 THEN
        RAISE EXCEPTION 'journal transaction % has lines of another payment', txn
            USING ERRCODE = 'check_violation';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION dues_journal_line_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dues_journal_check_transaction(NEW.transaction_id);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION dues_journal_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dues_journal_check_transaction(NEW.id);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER dues_journalline_balanced AFTER INSERT ON dues_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dues_journal_line_balanced();
CREATE CONSTRAINT TRIGGER dues_journaltransaction_balanced
    AFTER INSERT ON dues_journaltransaction
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION dues_journal_transaction_balanced();

CREATE OR REPLACE FUNCTION dues_journal_payment_bounds() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    received numeric;
    cash numeric;
    unapplied numeric;
    held numeric;
    receivable numeric;
BEGIN
    SELECT amount INTO received FROM dues_payment WHERE id = NEW.payment_id FOR UPDATE;
    SELECT coalesce(sum(amount) FILTER (WHERE account = 'cash_clearing'), 0),
           coalesce(sum(amount) FILTER (WHERE account = 'unapplied'), 0),
           coalesce(sum(amount) FILTER (WHERE account = 'hold'), 0),
           coalesce(sum(amount) FILTER (WHERE account = 'receivable'), 0)
      INTO cash, unapplied, held, receivable
      FROM dues_journalline WHERE payment_id = NEW.payment_id;
    IF cash < 0 OR cash > received THEN
        RAISE EXCEPTION 'payment % would hold % in cash clearing; it brought in %',
            NEW.payment_id, cash, received USING ERRCODE = 'check_violation';
    END IF;
    IF unapplied > 0 THEN
        RAISE EXCEPTION 'payment % would be over-allocated: % more given out than it brought in',
            NEW.payment_id, unapplied USING ERRCODE = 'check_violation';
    END IF;
    IF held > 0 OR receivable > 0 THEN
        RAISE EXCEPTION 'payment % would release more from hold or receivable than it put there',
            NEW.payment_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER dues_journalline_payment_bounds AFTER INSERT ON dues_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dues_journal_payment_bounds();

CREATE OR REPLACE FUNCTION dues_journal_invoice_cap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    limit_amount numeric;
    applied numeric;
BEGIN
    SELECT cap INTO limit_amount FROM dues_invoicecap WHERE invoice_id = NEW.invoice_id
        FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % has no recorded open balance (dues_invoicecap)',
            NEW.invoice_id USING ERRCODE = 'check_violation';
    END IF;
    SELECT -coalesce(sum(amount), 0) INTO applied FROM dues_journalline
     WHERE invoice_id = NEW.invoice_id AND account IN ('hold', 'receivable');
    IF applied > limit_amount THEN
        RAISE EXCEPTION 'invoice % would be over-applied: % applied against an open balance of %',
            NEW.invoice_id, applied, limit_amount USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER dues_journalline_invoice_cap AFTER INSERT ON dues_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.invoice_id <> '')
    EXECUTE FUNCTION dues_journal_invoice_cap();

CREATE OR REPLACE FUNCTION dues_payment_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payments are never deleted; refund or flag one instead'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.amount <> OLD.amount OR NEW.currency <> OLD.currency OR NEW.source <> OLD.source
       OR NEW.dedupe_key <> OLD.dedupe_key OR NEW.raw IS DISTINCT FROM OLD.raw THEN
        RAISE EXCEPTION 'payment %: the amount, currency, source and payload are what arrived; '
            'they never change', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER dues_payment_fixed BEFORE UPDATE OR DELETE ON dues_payment
    FOR EACH ROW EXECUTE FUNCTION dues_payment_fixed();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS dues_payment_fixed ON dues_payment;
DROP TRIGGER IF EXISTS dues_journalline_invoice_cap ON dues_journalline;
DROP TRIGGER IF EXISTS dues_journalline_payment_bounds ON dues_journalline;
DROP TRIGGER IF EXISTS dues_journaltransaction_balanced ON dues_journaltransaction;
DROP TRIGGER IF EXISTS dues_journalline_balanced ON dues_journalline;
DROP TRIGGER IF EXISTS dues_journalline_append_only ON dues_journalline;
DROP TRIGGER IF EXISTS dues_journaltransaction_append_only ON dues_journaltransaction;
DROP FUNCTION IF EXISTS dues_payment_fixed();
DROP FUNCTION IF EXISTS dues_journal_invoice_cap();
DROP FUNCTION IF EXISTS dues_journal_payment_bounds();
DROP FUNCTION IF EXISTS dues_journal_transaction_balanced();
DROP FUNCTION IF EXISTS dues_journal_line_balanced();
DROP FUNCTION IF EXISTS dues_journal_check_transaction(bigint);
DROP FUNCTION IF EXISTS dues_journal_refuse();
"""


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
