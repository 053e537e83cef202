"""Sign-in throttling: django-axes for every sign-in that comes with a request."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username and address before any password is checked.

    Sign-ins through the login page always carry their request. One without a request (a test
    client's ``login``, a management command) has no address to lock and is left to the next
    backend, where django-axes would otherwise refuse it outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
