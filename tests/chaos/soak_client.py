"""The simulator as a careful client under faults: every command carries an Idempotency-Key derived from
the seed and its number, and is retried with the same key until it has an answer (no answer, a 5xx, a
503 or "still in progress" are not answers). A 202 is followed to its outcome. Request faults happen
here: the same command sent twice at once, a client that gives up after 50 ms and retries, and requests
out of order (a supplier invoice sent before its goods receipt, a transfer's arrival before its shipment)."""

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from erp.demo.simulation_state import Po, SimulationError
from tests.chaos.fault_plan import PROCESS_FAULTS, Fault
from tests.chaos.faults import Injector
from tests.chaos.soak_business import SoakBusiness
from tests.chaos.soak_clock import PhaseClock

# How long a command may take to get an answer, or a 202 its outcome, while faults come and go. A request
# whose API process was killed keeps its key "in progress" until it goes stale (about 40 s here).
PATIENCE_SECONDS = 300.0
_NOT_AN_ANSWER = (500, 502, 503, 504)


@dataclass
class Accepted:
    """A command the API accepted (2xx, or 202 followed to `applied`), with what it named."""

    key: str
    path: str
    body: Any
    status: int
    answer: Any


class RetryReads(httpx.HTTPTransport):
    """GETs are safe to repeat: retried through restarts; commands go through `SoakSimulator._send`."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []  # 500 answers: a fault must give 503 (or no answer), never a crash

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Repeat a GET until the API answers something other than 5xx."""
        deadline = time.monotonic() + PATIENCE_SECONDS
        while True:
            try:
                response = super().handle_request(request)
            except httpx.TransportError:
                if request.method != "GET" or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
                continue
            if response.status_code == 500:
                self.errors.append(f"{request.method} {request.url.path} answered 500")
            if request.method != "GET" or response.status_code not in _NOT_AN_ANSWER:
                return response
            if time.monotonic() > deadline:
                return response
            response.close()
            time.sleep(0.5)


class SoakSimulator(SoakBusiness):
    """The soak's seeded business, sent through faults, with the day's end checked by `end_of_day`."""

    def __init__(
        self, api: str, seed: int, plan: list[Fault], injector: Injector, clock: PhaseClock | None = None
    ) -> None:
        self.transport = RetryReads()
        super().__init__(api, seed, client=httpx.Client(base_url=api, timeout=60, transport=self.transport))
        self.plan = plan
        self.injector = injector
        self.day = 0
        self.at = 0
        self.carried: list[str] = []  # request faults waiting for a command they fit
        self.accepted: list[Accepted] = []
        self.refused: list[Accepted] = []  # answered 4xx (as the business allows): kept to explain a finding
        self.findings: list[str] = []
        self.deferred_receipt: tuple[Po, dict[str, Any]] | None = None
        self.step = "start"
        self.clock = clock or PhaseClock()

    # ---- faults ------------------------------------------------------------------------------------

    def _faults_now(self) -> list[threading.Thread]:
        """Start the process faults planned before this command; keep its request faults for the client."""
        threads = []
        while self.plan and (self.plan[0].day, self.plan[0].at) <= (self.day, self.at):
            fault = self.plan.pop(0)
            if fault.kind in PROCESS_FAULTS:
                threads.append(self.injector.during_next_request(fault.kind))
            else:
                self.carried.append(fault.kind)
        self.at += 1
        return threads

    def day_findings(self) -> list[str]:
        """What the client saw go wrong today (then forgotten): unequal twin answers, 500s."""
        found = self.findings + self.transport.errors + self.injector.errors
        self.findings, self.transport.errors, self.injector.errors = [], [], []
        return found

    def faults_left_today(self) -> None:
        """Process faults planned past the day's last command come at its end; request faults carry on."""
        threads = []
        while self.plan and self.plan[0].day <= self.day:
            fault = self.plan.pop(0)
            if fault.kind in PROCESS_FAULTS:
                threads.append(self.injector.during_next_request(fault.kind))
            else:
                self.carried.append(fault.kind)
        with self.clock.phase("faults at the end of the day"):
            for thread in threads:
                thread.join()
            self.injector.supervise()

    def _take(self, kinds: tuple[str, ...]) -> str | None:
        for kind in self.carried:
            if kind in kinds:
                self.carried.remove(kind)
                return kind
        return None

    # ---- sending -----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        user: str,
        body: Any = None,
        ok: tuple[int, ...] = (),
        label: str | None = None,
    ) -> Any:
        """One command through faults: the same key until answered; a 202 followed to its outcome."""
        self.log.append(f"{method} {label or path} {user}")
        self.step = f"day {self.day + 1}, command {self.at} ({method} {label or path})"
        threads = self._faults_now()
        key = f"soak-{self.seed}-{len(self.log)}"
        headers = {"Authorization": f"Bearer demo-{user}", "Idempotency-Key": key}
        mode = self._take(("duplicate", "client_timeout"))
        with self.clock.phase(f"{method} {_route(path)}"):
            if mode == "client_timeout":
                self._give_up_early(method, path, body, headers)
            if mode == "duplicate":
                status, answer = self._twice(method, path, body, headers)
            else:
                status, answer = self._send(method, path, body, headers)
        with self.clock.phase("faults during a command"):
            for thread in threads:
                thread.join()
            self.injector.supervise()
            self.injector.after_command()
        if status == 202 and isinstance(answer, dict) and answer.get("command_id"):
            with self.clock.phase("following a 202"):
                status, answer = self._outcome(answer, user)
        if 200 <= status < 300:
            self.accepted.append(Accepted(key, path, body, status, answer))
        else:
            self.refused.append(Accepted(key, path, body, status, answer))
        if status >= 300 and status not in ok:
            raise SimulationError(f"{method} {path} as {user}: {status} {str(answer)[:300]}")
        return answer

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        """Until the API gives an answer: no answer, a 5xx or "still in progress" mean ask again."""
        deadline = time.monotonic() + PATIENCE_SECONDS
        while time.monotonic() < deadline:
            try:
                reply = self.http.request(method, path, json=body, headers=headers)
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            busy = reply.status_code == 409 and "still in progress" in reply.text
            if reply.status_code in _NOT_AN_ANSWER or busy:
                time.sleep(0.5)
                continue
            return reply.status_code, reply.json() if reply.content else None
        raise SimulationError(f"{method} {path}: no answer in {PATIENCE_SECONDS:.0f} s")

    def _give_up_early(self, method: str, path: str, body: Any, headers: dict[str, str]) -> None:
        """A client with a 50 ms timeout: the request may or may not have reached the server."""
        with contextlib.suppress(httpx.TransportError):
            self.http.request(method, path, json=body, headers=headers, timeout=0.05)
        self.injector.count("client_timeout")

    def _twice(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        """The same command sent twice at once: both answers must name the same outcome."""
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(lambda _: self._send(method, path, body, headers), range(2))
        self.injector.count("duplicate")
        if _gist(first) != _gist(second):
            self.findings.append(f"duplicate {method} {path} answered {first} and {second}")
        return first

    def _outcome(self, accepted: dict[str, Any], user: str) -> tuple[int, Any]:
        """Follow a 202 until its command is applied or refused; the answer it would have given."""
        url = f"/commands/{accepted['command_id']}"
        row = self._wait(url, lambda: _decided(self._read(url, user)), timeout=PATIENCE_SECONDS)
        result = row.get("result")
        merged = {**accepted, **result} if isinstance(result, dict) else accepted
        return int(row["http_status"]), merged if row["status"] == "applied" else result

    # ---- the business, made patient ----------------------------------------------------------------

    def _wait(self, what: str, probe: Callable[[], Any], timeout: float = PATIENCE_SECONDS) -> Any:
        """Workflows move in their own time, and slower while their worker restarts."""
        with self.clock.phase(f"waiting for {_route(what.split()[0])}"):
            return super()._wait(what, probe, timeout=max(timeout, PATIENCE_SECONDS))

    def _ship_one(self, number: str) -> None:
        """Ship once the workflow has placed the order (its rows may run ahead of a dead worker)."""

        def placed() -> Any:
            reply = self.http.get(f"/orders/{number}", headers={"Authorization": "Bearer demo-wes.warehouse"})
            if reply.status_code != 200:
                return None
            return reply.json() if reply.json()["status"] != "received" else None

        detail = self._wait(f"order {number} placed", placed)
        if detail["status"] in ("allocated", "backordered", "picking"):
            super()._ship_one(number)

    def _receive(self, po: Po, fill_pct: int, day: date) -> None:
        """The reorder fault: this receipt is held back and sent after the invoice."""
        if self._take(("reorder",)) is None:
            super()._receive(po, fill_pct, day)
            return
        lines = []
        for no, line in enumerate(po.lines, start=1):
            ordered = Decimal(line["qty"])
            short = self.rnd.randint(1, 100) > fill_pct
            qty = (ordered * Decimal("0.8")).to_integral_value() if short else ordered
            po.received[no] = qty
            lines.append({"line_no": no, "qty": str(qty)})
        body = {"delivery_note": f"DN-{po.number}", "received_on": day.isoformat(), "lines": lines}
        self.deferred_receipt = (po, body)
        self.summary.receipts += 1
        self.injector.count("reorder")

    def _reordered(self) -> bool:
        """The reorder fault, when a transfer comes before a delivery: its arrival is reported before its shipment."""
        if self._take(("reorder",)) is None:
            return False
        self.injector.count("reorder")
        return True

    def _invoice(self, po: Po, drift_pct: Decimal, always: bool, day: date) -> None:
        """An invoice that came before its goods waits for them; then the held receipt is booked."""
        super()._invoice(po, drift_pct, always, day)
        if self.deferred_receipt is not None and self.deferred_receipt[0] is po:
            _, body = self.deferred_receipt
            self.deferred_receipt = None
            self._call("POST", f"/purchase-orders/{po.number}/receipts", "wes.warehouse", body)


def _route(path: str) -> str:
    """A path with its document numbers and ids left out: `/orders/{n}/warehouse-events`."""
    return "/".join("{n}" if any(c.isdigit() for c in part) else part for part in path.split("/"))


def _decided(row: Any) -> Any:
    return row if isinstance(row, dict) and row.get("status") != "pending" else None


def _gist(answer: tuple[int, Any]) -> tuple[int, Any]:
    """What two answers to the same command must share: the status class and the document named."""
    status, body = answer
    named = (
        {k: body.get(k) for k in ("order_number", "number", "rma_number", "id")}
        if isinstance(body, dict)
        else {}
    )
    return status // 100, tuple(sorted((k, str(v)) for k, v in named.items() if v is not None))
