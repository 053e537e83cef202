"""The API's permission class: signed in, and holding the permission the view declares."""

from rest_framework.permissions import BasePermission


class RolePermission(BasePermission):
    """Each API view declares ``required_permission`` (a codename, or None for any staff).

    A view that declares nothing is refused, so a forgotten declaration fails closed.
    """

    message = "You do not have the role this endpoint needs."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if not hasattr(view, "required_permission"):
            return False
        required = view.required_permission
        if isinstance(required, dict):
            required = required.get(request.method, required.get("*"))
        return required is None or user.has_perm(required)
