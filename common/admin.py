"""Admin registrations of the common app: people and their rights, jobs and worker heartbeats.

Administrators manage people in the Django admin, but only a superuser may hand out rights
(superuser, staff, roles, permissions), and nobody may take over an account that holds rights
they do not hold themselves (a password set for a manager is a way to approve as that manager).
django-q's own Schedule and task pages are not on the site: a Schedule names any dotted callable
for a worker to run, and the product's Jobs page shows what runs.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django_q import models as q_models

from common.models import JobRun, WorkerHeartbeat

User = get_user_model()
RIGHTS_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def holds_rights_beyond(target, actor) -> bool:
    """Whether ``target`` may do something ``actor`` may not (so ``actor`` must not be it)."""
    if actor.is_superuser:
        return False
    if target.is_superuser:
        return True
    return bool(target.get_all_permissions() - actor.get_all_permissions())


class PeopleAdmin(UserAdmin):
    """The user pages, with rights fields read-only to anyone but a superuser."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [f for f in RIGHTS_FIELDS if f not in fields]
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.pk != request.user.pk and holds_rights_beyond(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and holds_rights_beyond(obj, request.user):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        target = self.get_object(request, id)
        if target is not None and holds_rights_beyond(target, request.user):
            raise PermissionDenied(
                f"{target.get_username()} holds rights you do not; only a superuser may set "
                "their password."
            )
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not change:
            # A new account starts without rights; a superuser gives it its roles.
            obj.is_superuser = obj.is_staff = False
        super().save_model(request, obj, form, change)
        if not change and not request.user.is_superuser:
            messages.info(request, "Ask a superuser to give this person their roles.")


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PeopleAdmin)

for q_model in (q_models.Schedule, q_models.Success, q_models.Failure, q_models.OrmQ):
    if admin.site.is_registered(q_model):
        admin.site.unregister(q_model)


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("id", "label", "status", "stage", "done", "total", "created_at")
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in JobRun._meta.fields]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("host", "pid", "last_seen")
