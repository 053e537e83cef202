"""The errors the iMIS client raises; each message says what a person can do."""


class ImisError(Exception):
    """Base of every error the client raises; the message says what a person can do."""


class ImisAuthError(ImisError):
    """iMIS refused the credentials: retrying will not help."""


class ImisUnavailable(ImisError):
    """iMIS did not answer usefully after every retry."""


class ImisRequestError(ImisError):
    """iMIS refused a request (4xx other than 401/429): the request itself must change."""

    def __init__(self, message: str, *, status: int, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body

    def __reduce__(self):
        # Raised in sync worker processes and re-raised here: pickling must keep the keywords.
        return _rebuild_request_error, (str(self), self.status, self.body)


def _rebuild_request_error(message: str, status: int, body: str) -> "ImisRequestError":
    return ImisRequestError(message, status=status, body=body)


class ImisAmbiguousWrite(ImisUnavailable):
    """A write's fate is unknown: the server may have committed it before the connection failed."""
