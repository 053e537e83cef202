"""Create one demo user per role; refused unless DEMO_MODE is on (never in production)."""

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from common import roles

DEMO_USERS = (
    ("membership", "Maya", "Okafor", roles.MEMBERSHIP),
    ("finance", "Frank", "Delgado", roles.FINANCE),
    ("manager", "Grace", "Lindqvist", roles.MANAGER),
    ("admin", "Arjun", "Mehta", roles.ADMINISTRATOR),
)


class Command(BaseCommand):
    help = "Create demo users, one per role, and print their logins as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo-desk-2026")
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, password: str, format: str, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "Demo users are only created with DEMO_MODE=true; never on a production site."
            )
        user_model = get_user_model()
        created = []
        for username, first, last, role in DEMO_USERS:
            user, _ = user_model.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@demo.invalid"
            user.is_staff = role == roles.ADMINISTRATOR  # the Django admin manages users
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            created.append({"role": role, "username": username, "password": password})
        if format == "text":
            for row in created:
                self.stdout.write(
                    f"    {row['role']:<18} username: {row['username']:<11} "
                    f"password: {row['password']}"
                )
        else:
            self.stdout.write(json.dumps(created))
