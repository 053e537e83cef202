"""DomainError: a refusal a person can act on, raised by services and shown as-is."""


class DomainError(Exception):
    """A business rule refused the action; the message says what to do instead."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
