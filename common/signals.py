"""Signal hooks: role grants synced after migrate; worker heartbeat at start; sign-ins and
permission changes written to the audit trail."""

from contextlib import suppress

from django.contrib.auth import get_user_model
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
    # post_migrate fires once per app; the last one (any app) finds every permission created.
    from common.roles import sync_declared_grants

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
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        action="auth.login_failed",
        summary=f"Failed sign-in as {username!r}",
        actor_name=username or "unknown",
        object_type="user",
        data={"ip": _client_ip(request)},
    )


@receiver(pre_save, sender=User)
def remember_flags(sender, instance, **kwargs) -> None:
    if instance.pk:
        before = sender.objects.filter(pk=instance.pk).values(*WATCHED_FLAGS).first()
        instance._audit_flags_before = before


@receiver(post_save, sender=User)
def audit_user_saved(sender, instance, created, **kwargs) -> None:
    if created:
        audit_record(
            action="auth.user_created",
            summary=f"Account {instance.get_username()} created",
            object_type="user",
            object_id=instance.pk,
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


@receiver(m2m_changed, sender=User.groups.through)
def audit_roles_changed(sender, instance, action, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    from django.contrib.auth.models import Group

    if isinstance(instance, Group):
        return  # changed from the group's side: rare; recorded by the user side in the admin
    names = sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
    verb = "given" if action == "post_add" else "removed from"
    audit_record(
        action="auth.roles_changed",
        summary=f"{instance.get_username()} {verb} {', '.join(names)}",
        object_type="user",
        object_id=instance.pk,
        data={"added" if action == "post_add" else "removed": names},
    )
