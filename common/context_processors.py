"""Context for the page shell: the person's navigation and roles."""

from django.conf import settings

from common import roles
from common.navigation import nav_for


def shell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": [], "user_roles": [], "demo_mode": settings.DEMO_MODE}
    return {
        "nav_sections": nav_for(user),
        "user_roles": roles.role_names(user),
        "demo_mode": settings.DEMO_MODE,
    }
