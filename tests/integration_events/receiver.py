"""A real webhook receiver for the tests: an http.server on 127.0.0.1 in a thread that checks every
signature and processes each event id once, as a well-behaved subscriber does."""

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rules.webhook_signature import EVENT_ID_HEADER, SIGNATURE_HEADER, verify

# (event id, how many times this id arrived so far) -> the HTTP status to answer
Answer = Callable[[str, int], int]


@dataclass
class Receiver:
    """What the receiver saw: every request, the events it processed (once per id), bad signatures."""

    secret: str = ""
    answer: Answer = lambda _event_id, _nth: 200
    url: str = ""
    arrivals: Counter[str] = field(default_factory=Counter)
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    process_count: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        """Verify, de-duplicate by event id, then answer as configured (header names in lower case)."""
        with self.changed:
            try:
                if not verify(self.secret, headers.get(SIGNATURE_HEADER.lower(), ""), body, int(time.time())):
                    self.bad_signatures += 1
                    return 401
                event = json.loads(body)
                event_id = event["event_id"]
                assert headers.get(EVENT_ID_HEADER.lower()) == event_id
                self.arrivals[event_id] += 1
                if event_id not in self.processed:  # at-least-once in, exactly-once processing
                    self.processed[event_id] = event
                    self.process_count[event_id] += 1
                return self.answer(event_id, self.arrivals[event_id])
            finally:
                self.changed.notify_all()

    def wait_until(self, predicate: Callable[["Receiver"], bool], timeout: float = 30.0) -> bool:
        """Block until the predicate holds (woken by each request), or the timeout passes."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout=timeout)


@contextmanager
def running_receiver(secret: str = "", answer: Answer | None = None) -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) for the duration of the block."""
    receiver = Receiver(secret=secret)
    if answer is not None:
        receiver.answer = answer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            code = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test asserts on what arrived instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/erp"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
