"""People admin: only a superuser hands out rights, nobody takes over a stronger account, and
every change of roles, permissions, password or active flag is audited with before and after."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from common import roles
from common.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


def _change_form(user, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": "",
        "email": "",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_setting_their_own_superuser_flag_and_roles_changes_nothing(client, make_user):
    admin = make_user(roles.ADMINISTRATOR)
    client.login(username="arjun", password=PASSWORD)
    manager_group = Group.objects.get(name=roles.MANAGER)
    response = client.post(
        reverse("admin:auth_user_change", args=[admin.pk]),
        _change_form(
            admin,
            is_superuser="on",
            is_staff="on",
            groups=[manager_group.pk],
            user_permissions=[Permission.objects.get(codename="manage_payments").pk],
        ),
    )
    assert response.status_code == 302, response.content[:400]
    admin.refresh_from_db()
    assert admin.is_superuser is False
    assert list(admin.groups.values_list("name", flat=True)) == [roles.ADMINISTRATOR]
    assert not admin.user_permissions.exists()
    assert not admin.has_perm("dues.manage_payments")
    assert not AuditEvent.objects.filter(
        actor_name="arjun", action__in=["auth.roles_changed", "auth.flags_changed"]
    )


def test_admin_may_not_change_or_reset_the_password_of_a_stronger_account(client, make_user):
    make_user(roles.ADMINISTRATOR)
    manager = make_user(roles.MANAGER)
    client.login(username="arjun", password=PASSWORD)
    password_url = reverse("admin:auth_user_password_change", args=[manager.pk])
    response = client.post(
        password_url,
        {"password1": "another-long-passphrase-1", "password2": "another-long-passphrase-1"},
    )
    assert response.status_code == 403
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    response = client.post(
        reverse("admin:auth_user_change", args=[manager.pk]),
        _change_form(manager, is_active=None),
    )
    assert response.status_code == 403
    manager.refresh_from_db()
    assert manager.is_active is True


def test_admin_manages_an_account_without_rights_and_it_is_audited(client, make_user):
    make_user(roles.ADMINISTRATOR)
    newcomer = make_user(None, "nora")
    client.login(username="arjun", password=PASSWORD)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[newcomer.pk]),
        {
            "password1": "another-long-passphrase-1",
            "password2": "another-long-passphrase-1",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:400]
    event = AuditEvent.objects.get(action="auth.password_changed")
    assert (event.actor_name, event.object_id, event.summary) == (
        "arjun",
        str(newcomer.pk),
        "Password of nora changed",
    )
    assert "pbkdf2" not in str(event.data) and "md5" not in str(event.data)


def test_superuser_changes_are_audited_with_before_and_after(client, make_user):
    make_user(None, "root", is_superuser=True, is_staff=True)
    finance = make_user(roles.FINANCE)
    client.login(username="root", password=PASSWORD)
    permission = Permission.objects.get(codename="decide_manager")
    response = client.post(
        reverse("admin:auth_user_change", args=[finance.pk]),
        _change_form(
            finance,
            is_active=None,
            groups=[Group.objects.get(name=roles.FINANCE).pk],
            user_permissions=[permission.pk],
        ),
    )
    assert response.status_code == 302, response.content[:400]
    granted = AuditEvent.objects.get(action="auth.permissions_changed")
    assert granted.actor_name == "root"
    assert granted.data["before"] == []
    assert granted.data["after"] == [f"reviews.{permission.codename}"]
    flags = AuditEvent.objects.get(action="auth.flags_changed")
    assert flags.data == {"is_active": [True, False]}


def test_role_permissions_changed_by_hand_are_audited(make_user):
    group = Group.objects.get(name=roles.MEMBERSHIP)
    group.permissions.add(Permission.objects.get(codename="decide_manager"))
    event = AuditEvent.objects.get(action="auth.role_permissions_changed")
    assert event.summary == "Role Membership staff: add reviews.decide_manager"


def test_django_q_schedule_and_task_pages_are_not_on_the_admin_site(client, make_user):
    make_user(None, "root", is_superuser=True, is_staff=True)
    client.login(username="root", password=PASSWORD)
    for model in ("schedule", "success", "failure", "ormq"):
        assert client.get(f"/admin/django_q/{model}/").status_code == 404, model
