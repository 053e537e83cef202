"""Admin registrations of the common app (administrators manage users in the Django admin)."""

from django.contrib import admin

from common.models import JobRun, WorkerHeartbeat


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("id", "label", "status", "stage", "done", "total", "created_at")
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in JobRun._meta.fields]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("host", "pid", "last_seen")
