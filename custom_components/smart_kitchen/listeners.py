"""Listeners kept by key, so that a message wakes only the listeners of what it is about."""

from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, callback


class KeyedListeners[KeyT, **P]:
    """Listeners grouped by key: calling a key wakes its listeners and nobody else's."""

    def __init__(self) -> None:
        """Start without listeners."""
        self._listeners: dict[KeyT, list[Callable[P, None]]] = {}

    @callback
    def async_add(self, key: KeyT, listener: Callable[P, None]) -> CALLBACK_TYPE:
        """Add a listener under a key; the returned callback removes it (and the key, if empty)."""
        keyed = self._listeners.setdefault(key, [])
        keyed.append(listener)

        @callback
        def remove_listener() -> None:
            keyed.remove(listener)
            if not keyed:
                del self._listeners[key]

        return remove_listener

    @callback
    def async_call(self, key: KeyT, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call the listeners of one key."""
        # Copied first: a listener may add or remove listeners (an entity being removed, say).
        for listener in list(self._listeners.get(key, ())):
            listener(*args, **kwargs)

    @callback
    def async_call_all(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call the listeners of every key."""
        for listeners in list(self._listeners.values()):
            for listener in list(listeners):
                listener(*args, **kwargs)
