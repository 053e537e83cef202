"""The item-price mirror (billing) as every other mirror table since 0006 and 0007: its raw
payload as exact json, and its iMIS id unique through the named constraint, without the LIKE
index that unique=True built."""

from django.db import migrations, models

import imis_client.models.mirror

TABLE = "imis_client_imisitemprice"
DROP_LIKE_INDEX = f"""
DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT indexname FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = '{TABLE}'
        AND indexdef LIKE '%(imis_id varchar_pattern_ops)%'
    LOOP
        EXECUTE format('DROP INDEX %I', r.indexname);
    END LOOP;
END $$;
"""
CREATE_LIKE_INDEX = (
    f'CREATE INDEX IF NOT EXISTS "{TABLE}_imis_id_like" ON "{TABLE}" (imis_id varchar_pattern_ops);'
)


class Migration(migrations.Migration):
    dependencies = [
        ("imis_client", "0008_merge_0006_item_prices_0007_mirror_imis_id_constraint"),
    ]

    operations = [
        migrations.AlterField(
            model_name="imisitemprice",
            name="raw",
            field=imis_client.models.mirror.ExactJSONField(
                help_text="The record exactly as iMIS sent it."
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="imisitemprice",
                    name="imis_id",
                    field=models.CharField(max_length=80),
                ),
                migrations.AddConstraint(
                    model_name="imisitemprice",
                    constraint=models.UniqueConstraint(
                        fields=("imis_id",), name="imis_client_imisitemprice_imis_id_key"
                    ),
                ),
            ],
            database_operations=[migrations.RunSQL(DROP_LIKE_INDEX, CREATE_LIKE_INDEX)],
        ),
    ]
