"""DomainError: a refusal a person can act on, raised by services and shown as-is."""

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A business rule refused the action; the message says what to do instead."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


def validation_text(exc: ValidationError) -> str:
    """A model's ValidationError as one line a person reads: "field: message; field: message"."""
    return "; ".join(
        f"{name.replace('_', ' ')}: {message.rstrip('.')}"
        for name, messages in exc.message_dict.items()
        for message in messages
    )
