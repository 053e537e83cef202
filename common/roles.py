"""The four staff roles; each is a Django group created by a data migration."""

from contextvars import ContextVar

MEMBERSHIP = "Membership staff"
FINANCE = "Finance staff"
MANAGER = "Manager"
ADMINISTRATOR = "Administrator"

ROLES = (MEMBERSHIP, FINANCE, MANAGER, ADMINISTRATOR)

ROLE_DESCRIPTIONS = {
    MEMBERSHIP: "Works renewals, outreach and win-back; reviews membership proposals.",
    FINANCE: "Applies payments, clears the cash-application queue, reviews finance proposals.",
    MANAGER: "Sets automation policies, approves above thresholds, reads every report.",
    ADMINISTRATOR: "Runs the system: iMIS connection, sync, workers, users.",
}


def role_names(user) -> list[str]:
    """The role names a user holds, in the canonical order."""
    if not user.is_authenticated:
        return []
    held = set(user.groups.values_list("name", flat=True))
    return [role for role in ROLES if role in held]


def ensure_permissions(apps, app_label: str) -> None:
    """Create an app's declared permissions now, inside a migration.

    Django creates permissions only after the last migration; a migration's app registry holds
    stubs that create_permissions skips unless they claim to have a models module.
    """
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = None


def grant_role_permissions(apps, app_label: str, grants: dict[str, list[str]]) -> None:
    """Give each role the listed permission codenames of one app (for data migrations).

    Permissions are created first because Django only creates them after all migrations ran.
    """
    ensure_permissions(apps, app_label)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codenames in grants.items():
        group, _ = group_model.objects.get_or_create(name=role)
        perms = permission_model.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"{app_label}: permissions not declared: {sorted(missing)}")
        group.permissions.add(*perms)


# Set while the grants declared in code are synced after migrate: those are reviewed in the code,
# not changes a person made, so the role-permission audit passes over them.
SYNCING_DECLARED_GRANTS: ContextVar[bool] = ContextVar("syncing_declared_grants", default=False)


def sync_declared_grants(using: str = "default") -> None:
    """Ensure every role group exists and holds the grants each app declares in permissions.py.

    Runs after every migrate (and after the test suite's flushes). It only adds: permissions an
    administrator granted by hand are left alone.
    """
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    groups = {name: Group.objects.using(using).get_or_create(name=name)[0] for name in ROLES}
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.permissions":
                raise
            continue
        for role, codenames in getattr(module, "GRANTS", {}).items():
            for codename in codenames:
                # "codename" is this app's; "app_label.codename" names another app's.
                app_label, _, bare = codename.rpartition(".")
                perm = Permission.objects.using(using).filter(
                    content_type__app_label=app_label or config.label, codename=bare
                )
                token = SYNCING_DECLARED_GRANTS.set(True)
                try:
                    groups[role].permissions.add(*perm)
                finally:
                    SYNCING_DECLARED_GRANTS.reset(token)
