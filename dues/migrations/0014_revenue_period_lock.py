"""The revenue journal keeps the close's period lock too: no revenue entry dated in a closed
month (dues_period_guard from 0009_close)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION dues_period_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    day date;
    closed date;
BEGIN
    IF TG_ARGV[0] = 'entry_date' THEN
        day := NEW.entry_date;
    ELSIF TG_ARGV[0] = 'period' THEN
        day := NEW.period;
    ELSE
        day := (NEW.created_at AT TIME ZONE TG_ARGV[1])::date;
    END IF;
    SELECT month INTO closed FROM dues_accountingperiod
     WHERE month = date_trunc('month', day)::date AND status = 'closed';
    IF FOUND THEN
        RAISE EXCEPTION '% is a closed period: nothing can be dated %. Date the correction in the open period.',
            to_char(closed, 'FMMonth YYYY') || ' (' || to_char(closed, 'YYYY-MM') || ')', day
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER dues_revenueentry_period_open BEFORE INSERT ON dues_revenueentry
    FOR EACH ROW EXECUTE FUNCTION dues_period_guard('period', '');
"""
BACKWARD = "DROP TRIGGER IF EXISTS dues_revenueentry_period_open ON dues_revenueentry;"


class Migration(migrations.Migration):
    dependencies = [("dues", "0013_merge_0009_close_0012_merge_20261207_1337")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
