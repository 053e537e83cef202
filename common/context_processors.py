"""Context for the page shell: the person's navigation and roles."""

from django.conf import settings

from common import roles
from common.navigation import nav_for


def shell(request) -> dict:
    user = getattr(request, "user", None)
    # Member-facing pages (common.links) name the association and where to write.
    public = {
        "demo_mode": settings.DEMO_MODE,
        "association_name": settings.DRAFTING_ASSOCIATION_NAME,
        "contact_email": settings.DRAFTING_CONTACT_EMAIL,
    }
    if user is None or not user.is_authenticated:
        return {"nav_sections": [], "user_roles": [], **public}
    return {"nav_sections": nav_for(user), "user_roles": roles.role_names(user), **public}
