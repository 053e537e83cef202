"""Create the four staff roles as groups and grant the common app's permissions."""

from django.db import migrations

ROLES = ("Membership staff", "Finance staff", "Manager", "Administrator")

GRANTS = {
    "Membership staff": ["view_api_docs"],
    "Finance staff": ["view_api_docs"],
    "Manager": ["view_jobs", "view_api_docs"],
    "Administrator": ["view_jobs", "run_jobs", "view_api_docs"],
}

ADMIN_AUTH_GRANTS = ["view_user", "add_user", "change_user", "view_group"]


def create_roles(apps, schema_editor):
    from common.roles import grant_role_permissions

    group_model = apps.get_model("auth", "Group")
    for name in ROLES:
        group_model.objects.get_or_create(name=name)
    grant_role_permissions(apps, "common", GRANTS)
    grant_role_permissions(apps, "auth", {"Administrator": ADMIN_AUTH_GRANTS})


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
