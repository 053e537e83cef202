"""Roles: the groups exist and hold exactly the permissions declared in code."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from common import permissions, roles

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ROLES)
def test_role_group_holds_exactly_the_declared_common_permissions(role):
    group = Group.objects.get(name=role)
    held = set(
        group.permissions.filter(content_type__app_label="common").values_list(
            "codename", flat=True
        )
    )
    assert held == {c for c in permissions.GRANTS[role] if "." not in c}


def test_every_setting_read_from_the_environment_is_documented():
    source = (ROOT / "config/settings/base.py").read_text()
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source))
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    assert {n for n in names if f"\n{n}=" not in example} == set()
    assert {n for n in names if f"`{n}`" not in readme} == set()
