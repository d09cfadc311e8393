"""The soak's whole business: `erp simulate`'s day (orders, shipments, returns, POs, deliveries, invoices) plus
the streams a retailer runs beside it, each driven through the HTTP API as a client would:

- marketplace payout reports (`POST /settlements`) for the marketplace orders shipped that day, now and
  then with a line for an order the marketplace made up, which the controller dismisses in the inbox;
- stock transfers from the central warehouse to a store (`POST /transfers`, ship the same day, receive
  the next), so stock spends the night in transit;
- cycle counts at a store (`POST /cycle-counts`, the count task submitted by the warehouse), sometimes
  short (shrinkage) or over (a found unit);
- the month-end close with sign-off (`POST /close/runs`, differences accepted with a reason and the
  sign-off approved by the controller in the inbox) on the first simulated day of each month.

Everything is drawn from the seed, as the rest of the simulator is."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from erp.demo.simulate import Simulator
from erp.demo.simulation_state import Catalogue, SimulationError, Summary

D = Decimal
MARKETPLACE = "MKT-EU"
STORES = ("ST-BERLIN", "ST-HAMBURG", "ST-MUNICH")
FEE_PCT = D("0.12")
CLOSE_TASKS = ("close_difference", "close_signoff")


@dataclass
class SoakSummary(Summary):
    """What the run did, with the streams the soak adds."""

    settlement_reports: int = 0
    orders_settled: int = 0
    transfers: int = 0
    transfers_received: int = 0
    cycle_counts: int = 0
    closes_signed_off: int = 0

    def rows(self) -> list[tuple[str, int]]:
        """Label and count, in reading order."""
        return [
            *super().rows(),
            ("settlement reports", self.settlement_reports),
            ("orders settled", self.orders_settled),
            ("transfers", self.transfers),
            ("transfers received", self.transfers_received),
            ("cycle counts", self.cycle_counts),
            ("closes signed off", self.closes_signed_off),
        ]


class SoakBusiness(Simulator):
    """The simulator's day with settlements, transfers, cycle counts and the signed-off close added."""

    summary: SoakSummary

    def __init__(self, api: str, seed: int, **kwargs: Any) -> None:
        super().__init__(api, seed, **kwargs)
        self.summary = SoakSummary()
        self.in_transit: list[str] = []  # transfers shipped, received the next day
        self.counted: list[str] = []  # cycle counts whose count the warehouse submitted
        self.to_ship: list[str] = []  # the day's web and marketplace orders, shipped after intake

    def run(self, days: int, progress: Callable[[int], None] = lambda _: None) -> Summary:
        """`days` business days ending today; the close of the month before on each month's first day."""
        cat = self.catalogue()
        if "EU01" not in cat.entities or not cat.skus:
            raise SimulationError("the demo retailer is missing: run `erp seed` on an empty database")
        today = date.today()
        for n in range(days):
            day = today - timedelta(days=days - 1 - n)
            # The close of the month before runs its checklist while the day's business goes on; the
            # controller signs it off at the end of the day.
            closing = self._start_close(cat, day) if n == 0 or day.day == 1 else None
            self._orders(cat, day)
            self._ship_the_day()
            self._settle(cat, day)
            self._returns(day)
            self._deliveries(cat, day)
            self._purchasing(cat, day, last=n == days - 1)
            self._transfers(cat, day)
            self._count(cat, day)
            if closing:
                self._sign_off(cat, closing)
            progress(n + 1)
        self.summary.tasks_waiting = self._waiting()
        return self.summary

    # ---- shipping ------------------------------------------------------------------------------

    def _ship(self, number: str) -> None:
        """Queued: the warehouse ships once the day's intake is done, so while it ships one order the
        workflows have placed the next (a client that waited for each order in turn spent a third of
        the day waiting)."""
        self.to_ship.append(number)

    def _ship_the_day(self) -> None:
        """Ship the day's web and marketplace orders in the order they came."""
        queued, self.to_ship = self.to_ship, []
        for number in queued:
            self._ship_one(number)

    def _ship_one(self, number: str) -> None:
        """The warehouse ships every location that holds stock for the order."""
        super()._ship(number)

    # ---- marketplace settlement ----------------------------------------------------------------

    def _settle(self, cat: Catalogue, day: date) -> None:
        """Today's payout report: every marketplace order shipped today at what it owes, less the fees."""
        lines = []
        for number in self.shipped:
            detail = self._read(f"/orders/{number}", "sam.sales")
            if detail["channel"] != MARKETPLACE:
                continue
            owed = self._wait(f"receivable of order {number}", _receivable_of(self, number))
            fees = (owed * FEE_PCT).quantize(D("0.01"))
            lines.append({"external_id": detail["external_id"], "gross": str(owed), "fees": str(fees)})
        if not lines:
            return
        ghost = self.rnd.random() < 0.15
        if ghost:
            lines.append({"external_id": f"GHOST-{self.seed}-{day:%Y%m%d}", "gross": "20.00", "fees": "2.40"})
        body = {
            "channel": MARKETPLACE,
            "reference": f"PAY-{self.seed}-{day:%Y%m%d}",
            "payout_date": date.today().isoformat(),  # the orders' receivables are dated today too
            "lines": lines,
        }
        answer = self._call("POST", "/settlements", "carla.controller", body)
        self.summary.settlement_reports += 1
        self.summary.orders_settled += len(lines) - ghost
        for task_id in answer.get("open_tasks", []) if isinstance(answer, dict) else []:
            body = {"decision": "dismiss", "comment": "not our order"}
            self._call("POST", f"/tasks/{task_id}/decision", "carla.controller", body, label="/tasks/<ghost>")

    # ---- transfers and counts ------------------------------------------------------------------

    def _stock(self, cat: Catalogue) -> list[dict[str, Any]]:
        """EU01's balances of the goods the simulator trades (untracked), as the warehouse sees them."""
        rows = self._read("/stock/balances", "wes.warehouse", entity_id=cat.entities["EU01"], limit=5000)
        tradable = set(cat.skus)
        return [r for r in rows if r["sku"] in tradable]

    def _transfers(self, cat: Catalogue, day: date) -> None:
        """Yesterday's transfers arrive; one leaves the central warehouse for a store."""
        for number in self.in_transit:
            self._call("POST", f"/transfers/{number}/receive", "wes.warehouse", {"on": day.isoformat()})
            self.summary.transfers_received += 1
        self.in_transit = []
        plenty = [r for r in self._stock(cat) if r["location"] == "WH-CENTRAL" and D(r["available"]) >= 20]
        if not plenty:
            return
        picked = self.rnd.sample(plenty, min(len(plenty), self.rnd.randint(1, 2)))
        body = {
            "entity_id": cat.entities["EU01"],
            "from_location_id": cat.locations["WH-CENTRAL"],
            "to_location_id": cat.locations[self.rnd.choice(STORES)],
            "lines": [{"item_id": r["item_id"], "qty": str(self.rnd.randint(1, 5))} for r in picked],
        }
        number = str(self._call("POST", "/transfers", "wes.warehouse", body)["number"])
        self.summary.transfers += 1
        self._wait(f"transfer {number} stored", lambda: self._exists(f"/transfers/{number}"))
        step = {"on": day.isoformat()}
        early = self._reordered()
        if early:  # the store reports the arrival before the warehouse its shipment: refused, changes nothing
            self._call("POST", f"/transfers/{number}/receive", "wes.warehouse", step, ok=(409,))
        self._call("POST", f"/transfers/{number}/ship", "wes.warehouse", step)
        if early:
            self._call("POST", f"/transfers/{number}/receive", "wes.warehouse", step)
            self.summary.transfers_received += 1
        else:
            self.in_transit.append(number)

    def _count(self, cat: Catalogue, day: date) -> None:
        """A store counts one or two items it holds; now and then one is missing, or one turns up."""
        store = self.rnd.choice(STORES)
        held = [r for r in self._stock(cat) if r["location"] == store and D(r["on_hand"]) > 0]
        if not held:
            return
        picked = self.rnd.sample(held, min(len(held), self.rnd.randint(1, 2)))
        body = {
            "entity_id": cat.entities["EU01"],
            "location_id": cat.locations[store],
            "item_ids": sorted(r["item_id"] for r in picked),
        }
        number = str(self._call("POST", "/cycle-counts", "wes.warehouse", body)["number"])
        self.summary.cycle_counts += 1
        task = self._wait(
            f"count task of {number}", lambda: self._task("wes.warehouse", number, ("cycle_count",))
        )
        # Counted now (blind counts see the shelf, not the books): the shelf holds what the books say, give
        # or take the drawn difference.
        # A shelf never holds less than is promised from it (the API refuses such a count: release first).
        now = {r["item_id"]: r for r in self._stock(cat) if r["location"] == store}
        counts = {}
        for item_id in sorted(r["item_id"] for r in picked):
            drift = self.rnd.choice((0, 0, 0, -1, -2, 1))
            book = now.get(item_id, {"on_hand": "0", "reserved": "0"})
            counts[str(item_id)] = str(max(D(book["reserved"]), D(book["on_hand"]) + drift, D(0)))
        decision = {"decision": "submit", "payload": {"counts": counts}}
        self._call("POST", f"/tasks/{task['id']}/decision", "wes.warehouse", decision, label="/tasks/<count>")
        self.counted.append(number)

    # ---- the close -----------------------------------------------------------------------------

    def _start_close(self, cat: Catalogue, day: date) -> str:
        """Start the close of the month before `day`; its period."""
        period = (day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        body = {"entity_id": cat.entities["EU01"], "period": period}
        self._call("POST", "/close/runs", "carla.controller", body)
        self.summary.closes += 1
        return period

    def _sign_off(self, cat: Catalogue, period: str) -> None:
        """The controller accepts each difference with a reason, then approves the sign-off; the period closes."""
        entity = cat.entities["EU01"]
        decided: set[int] = set()
        while True:
            state = self._wait(
                f"close {period} at sign-off", lambda: self._close_state(entity, period, decided)
            )
            if state == "closed":
                break
            task = state
            decided.add(task["id"])
            decision = (
                {"decision": "accept", "comment": "explained by the soak's business"}
                if task["kind"] == "close_difference"
                else {"decision": "approve"}
            )
            label = f"/tasks/<EU01-{period}:{task['kind']}>/decision"
            self._call("POST", f"/tasks/{task['id']}/decision", "carla.controller", decision, label=label)
        self.summary.closes_signed_off += 1

    def _close_state(self, entity: int, period: str, decided: set[int]) -> Any:
        """'closed', the next close task to decide (differences before the sign-off), or None."""
        run = self.http.get(
            f"/close/runs/{entity}/{period}", headers={"Authorization": "Bearer demo-carla.controller"}
        )
        if run.status_code == 200 and run.json()["status"] == "closed":
            return "closed"
        open_ = [
            t
            for t in self._read("/tasks", "carla.controller", limit=500)
            if t["subject_id"] == f"EU01-{period}" and t["kind"] in CLOSE_TASKS and t["id"] not in decided
        ]
        open_.sort(key=lambda t: (t["kind"] != "close_difference", t["id"]))
        return open_[0] if open_ else None

    # ---- reads ---------------------------------------------------------------------------------

    def _reordered(self) -> bool:
        """Whether the next pair of requests arrives the wrong way round (the soak's reorder fault)."""
        return False

    def _exists(self, path: str) -> bool:
        return self.http.get(path, headers={"Authorization": "Bearer demo-admin"}).status_code == 200

    def _task(self, user: str, subject: str, kinds: tuple[str, ...]) -> Any:
        """The open task of `subject` of one of `kinds`, or None."""
        for task in self._read("/tasks", user, limit=500):
            if task["subject_id"] == subject and task["kind"] in kinds:
                return task
        return None


def _receivable_of(sim: Simulator, number: str) -> Callable[[], Decimal | None]:
    """A probe: what a shipped order owes (its receivable postings), once they are there."""

    def probe() -> Decimal | None:
        detail = sim._read(f"/orders/{number}", "sam.sales")
        owed = sum(
            (D(str(ln["amount"])) for p in detail["postings"] for ln in p["lines"] if ln["role"] == "ar"),
            D(0),
        )
        return owed if owed > 0 and detail["shipments"] else None

    return probe
