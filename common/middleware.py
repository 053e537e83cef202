"""Login required everywhere, except where a view opts out or the API answers for itself."""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired

# The API authenticates each request itself (session or token) and answers 401/403 as JSON;
# webhooks authenticate by signature. Redirecting those to a login page would be wrong.
SELF_AUTHENTICATING_PREFIXES = ("/api/v1/", "/api/schema/", "/webhooks/")


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(SELF_AUTHENTICATING_PREFIXES):
            return None
        # Decide on the view's opt-out before touching request.user, so that /healthz answers
        # without a session lookup when the database is down.
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class AuditActorMiddleware:
    """Makes the signed-in person the default actor of audit events recorded in this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from common.audit import current_actor

        user = getattr(request, "user", None)
        token = current_actor.set(user if user is not None and user.is_authenticated else None)
        try:
            return self.get_response(request)
        finally:
            current_actor.reset(token)
