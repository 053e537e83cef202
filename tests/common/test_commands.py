"""Management commands: demo users only in demo mode; schedules installed from code."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from common import roles


@pytest.mark.django_db
def test_create_demo_users_refused_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="only created with DEMO_MODE=true"):
        call_command("create_demo_users")
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_create_demo_users_one_per_role(settings):
    settings.DEMO_MODE = True
    out = StringIO()
    call_command("create_demo_users", stdout=out)
    rows = json.loads(out.getvalue())
    assert [r["role"] for r in rows] == list(roles.ROLES)
    for row in rows:
        user = get_user_model().objects.get(username=row["username"])
        assert list(user.groups.values_list("name", flat=True)) == [row["role"]]
        assert user.check_password(row["password"])
        assert not user.is_superuser


@pytest.mark.django_db
def test_install_schedules_is_idempotent_and_prunes_removed():
    Schedule.objects.create(name="common.retired_job", func="common.tasks.gone")
    Schedule.objects.create(name="someone-elses", func="x.y")
    out = StringIO()
    call_command("install_schedules", stdout=out)
    first = json.loads(out.getvalue())
    assert "common.worker_heartbeat" in first["created"]
    assert first["removed"] == ["common.retired_job"]
    out = StringIO()
    call_command("install_schedules", stdout=out)
    second = json.loads(out.getvalue())
    assert second["created"] == [] and "common.worker_heartbeat" in second["updated"]
    assert Schedule.objects.filter(name="someone-elses").exists()
    beat = Schedule.objects.get(name="common.worker_heartbeat")
    assert (beat.schedule_type, beat.minutes) == (Schedule.MINUTES, 1)
