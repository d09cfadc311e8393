"""A service step that commits, then holds its activity until released: for one document the database is
ahead of its workflow, the window a busy or restarted worker opens in production."""

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlmodel import Session

R = TypeVar("R")


class HeldStep(Generic[R]):
    """Wraps `real(session, request)`; the request of document `number` is committed and then held."""

    def __init__(
        self, real: Callable[[Session, Any], R], key: Callable[[Any], str] = lambda r: str(r.number)
    ) -> None:
        self.number: str | None = None
        self._key = key
        self.committed = threading.Event()
        self.release = threading.Event()
        self._real = real

    def __call__(self, session: Session, request: Any) -> R:
        result = self._real(session, request)
        if self._key(request) == self.number:
            session.commit()
            self.committed.set()
            self.release.wait(30)
        return result
