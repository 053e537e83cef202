"""A registry that apps fill at startup (AppConfig.ready): job kinds, review kinds, page parts.

common imports no app, so whatever an app contributes to a shared list reaches it by
registration; this is the one way such a list is kept.
"""

from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries by key, in the order their keys were first registered.

    Registering a key again replaces its entry in place: a module imported twice, or a test's
    stand-in, never makes a second entry.
    """

    def __init__(self, what: str) -> None:
        self.what = what  # names an entry in the LookupError, e.g. "review-item kind"
        self._entries: dict[Hashable, T] = {}

    def register(self, key: Hashable, entry: T) -> T:
        self._entries[key] = entry
        return entry

    def get(self, key: Hashable) -> T:
        try:
            return self._entries[key]
        except KeyError:
            raise LookupError(f"no {self.what} {key!r} is registered") from None

    def all(self) -> list[T]:
        return list(self._entries.values())

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)
