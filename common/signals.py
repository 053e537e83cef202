"""Signal hooks: role grants synced after migrate; worker heartbeat at start; sign-ins and
permission changes written to the audit trail."""

from contextlib import suppress

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import DatabaseError
from django.db.models.signals import m2m_changed, post_migrate, post_save, pre_save
from django.dispatch import receiver
from django_q.signals import post_spawn

from common.audit import audit_record

User = get_user_model()
WATCHED_FLAGS = ("is_active", "is_staff", "is_superuser")


@receiver(post_spawn)
def record_heartbeat_on_spawn(sender, proc_name, **kwargs) -> None:
    from common.services import worker_heartbeat_record

    # The scheduled heartbeat will retry; a worker must not die because of this.
    with suppress(DatabaseError):
        worker_heartbeat_record()


@receiver(post_migrate)
def sync_role_grants(sender, using="default", **kwargs) -> None:
    # post_migrate fires once per app with models, in INSTALLED_APPS order; only after the last
    # one is every permission created, so the grants are synced then, once (not once an app).
    from django.apps import apps

    from common.roles import sync_declared_grants

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if with_models and sender is not with_models[-1]:
        return
    sync_declared_grants(using=using)


def _client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs) -> None:
    audit_record(
        action="auth.login",
        summary=f"{user.get_username()} signed in",
        actor=user,
        object_type="user",
        object_id=user.pk,
        data={"ip": _client_ip(request)},
    )


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(
            action="auth.logout",
            summary=f"{user.get_username()} signed out",
            actor=user,
            object_type="user",
            object_id=user.pk,
        )


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    if getattr(request, "axes_locked_out", False):
        # The attempt that locks, and every one refused while locked, are recorded as the one
        # lockout event (audit_locked_out), so a flood of attempts does not queue on the chain.
        return
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        action="auth.login_failed",
        summary=f"Failed sign-in as {username!r}",
        actor_name=username or "unknown",
        object_type="user",
        data={"ip": _client_ip(request)},
    )


@receiver(user_locked_out)
def audit_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    from django.conf import settings
    from django.utils import timezone

    from common.models import AuditEvent

    # django-axes signals again for each attempt refused while locked; one row per lockout.
    already = AuditEvent.objects.filter(
        action="auth.locked_out",
        actor_name=str(username or "unknown")[:150],
        data__ip=ip_address or "",
        occurred_at__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    )
    if already.exists():
        return
    audit_record(
        action="auth.locked_out",
        summary=f"Sign-in locked out for {str(username)[:150]!r} after repeated failures",
        actor_name=str(username or "unknown")[:150],
        object_type="user",
        data={"ip": ip_address or ""},
    )


@receiver(pre_save, sender=User)
def remember_flags(sender, instance, **kwargs) -> None:
    if instance.pk:
        before = sender.objects.filter(pk=instance.pk).values(*WATCHED_FLAGS, "password").first()
        instance._audit_flags_before = before


@receiver(post_save, sender=User)
def audit_user_saved(sender, instance, created, **kwargs) -> None:
    if created:
        audit_record(
            action="auth.user_created",
            summary=f"Account {instance.get_username()} created",
            object_type="user",
            object_id=instance.pk,
            data={flag: getattr(instance, flag) for flag in WATCHED_FLAGS},
        )
        return
    before = getattr(instance, "_audit_flags_before", None) or {}
    changed = {
        flag: [before[flag], getattr(instance, flag)]
        for flag in WATCHED_FLAGS
        if flag in before and before[flag] != getattr(instance, flag)
    }
    if changed:
        audit_record(
            action="auth.flags_changed",
            summary=f"{instance.get_username()}: "
            + ", ".join(f"{flag} {old} → {new}" for flag, (old, new) in changed.items()),
            object_type="user",
            object_id=instance.pk,
            data=changed,
        )
    if "password" in before and before["password"] != instance.password:
        # Never the hashes: that the password changed, and who changed it, is what matters.
        audit_record(
            action="auth.password_changed",
            summary=f"Password of {instance.get_username()} changed",
            object_type="user",
            object_id=instance.pk,
            data={
                "usable_before": _usable(before["password"]),
                "usable_after": _usable(instance.password),
            },
        )


def _usable(encoded: str) -> bool:
    from django.contrib.auth.hashers import is_password_usable

    return is_password_usable(encoded)


def _names(model, pks) -> list[str]:
    if model.__name__ == "Group":
        return sorted(model.objects.filter(pk__in=pks).values_list("name", flat=True))
    return sorted(
        f"{app}.{code}"
        for app, code in model.objects.filter(pk__in=pks).values_list(
            "content_type__app_label", "codename"
        )
    )


def _current(instance, relation: str) -> list[str]:
    related = getattr(instance, relation)
    return _names(related.model, related.values_list("pk", flat=True))


# Roles and permissions of a person, and the permissions of a role: each change is written with
# the full set before and after (m2m_changed fires before and after each add, remove or clear).
_M2M_AUDITED = {
    User.groups.through: ("groups", "auth.roles_changed", "roles"),
    User.user_permissions.through: ("user_permissions", "auth.permissions_changed", "permissions"),
}


def _audit_m2m(sender, instance, action, reverse, **kwargs) -> None:
    relation, audit_action, noun = _M2M_AUDITED[sender]
    if reverse:
        # Changed from the role's or the permission's side: name each person it touched.
        for user in User.objects.filter(pk__in=kwargs.get("pk_set") or ()):
            _audit_m2m(sender, user, action, False, **{**kwargs, "pk_set": None})
        return
    if action.startswith("pre_"):
        instance.__dict__.setdefault("_audit_m2m_before", {})[relation] = _current(
            instance, relation
        )
        return
    if not action.startswith("post_"):
        return
    before = instance.__dict__.get("_audit_m2m_before", {}).pop(relation, None)
    after = _current(instance, relation)
    if before is None or before == after:
        return
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    parts = ([f"given {', '.join(added)}"] if added else []) + (
        [f"removed from {', '.join(removed)}"] if removed else []
    )
    audit_record(
        action=audit_action,
        summary=f"{instance.get_username()} {'; '.join(parts)}",
        object_type="user",
        object_id=instance.pk,
        data={"before": before, "after": after, "added": added, "removed": removed, "of": noun},
    )


for _through in _M2M_AUDITED:
    m2m_changed.connect(_audit_m2m, sender=_through, dispatch_uid=f"audit-{_through.__name__}")


@receiver(m2m_changed, sender=Group.permissions.through)
def audit_role_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    from common.roles import SYNCING_DECLARED_GRANTS

    if reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    if SYNCING_DECLARED_GRANTS.get():
        return
    names = _names(Permission, pk_set or ())
    audit_record(
        action="auth.role_permissions_changed",
        summary=f"Role {instance.name}: {action.removeprefix('post_')} {', '.join(names)}",
        object_type="group",
        object_id=instance.pk,
        data={"action": action.removeprefix("post_"), "permissions": names},
    )
