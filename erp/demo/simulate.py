"""Days of business for the demo retailer, driven through the real HTTP API with the demo tokens.

Each simulated day: orders on every channel (web and marketplace orders are then shipped by the
warehouse; POS sells at the till), buyer POs that the approvers approve (a quarter stay pending for a
human), supplier confirmations, deliveries (late or short by each supplier's profile), supplier invoices
(price drift makes match exceptions for AP), a few returns, and on the last day a month-end close.

Deterministic with a seed: the same requests in the same order on a freshly seeded database (PO numbers
come from a database sequence, so a fresh database gives the same ones). Temporal's timing is not
deterministic: how long a task takes to appear or a workflow to move varies, so the simulator waits for
what it needs (a task, a shipment) instead of sleeping. Business days cannot move Temporal's clock on
the dev server: the simulated days end today, and every date the API takes (PO order and confirmed
dates, receipt and invoice dates) carries the business day; order intake and shipping are dated today.
"""

import json
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from erp.demo.seed_policy import SUPPLIER_PROFILES
from erp.demo.simulation_state import Catalogue, Po, SimulationError, Summary

D = Decimal
SHIPPED_CHANNELS = ("WEB-EU", "MKT-EU", "WEB-UK")
POS_CHANNELS = ("POS-BERLIN", "POS-HAMBURG", "POS-MUNICH")
PAYMENT = {"WEB-EU": "card", "MKT-EU": "marketplace", "WEB-UK": "card"}


class Simulator:
    """Drives the API; every request goes through `_call`, which also writes the request log."""

    def __init__(self, api: str, seed: int, speed: float = 0.0, client: httpx.Client | None = None) -> None:
        self.rnd = random.Random(seed)
        self.seed = seed
        self.speed = speed
        self.http = client or httpx.Client(base_url=api, timeout=60)
        self.log: list[str] = []
        self.summary = Summary()
        self.pos: list[Po] = []
        self.shipped: list[str] = []
        # The first deliveries tell one story each, so even a two-day run shows a delay, a short delivery
        # and a price difference; later ones follow the suppliers' profiles.
        self.stories = ["late", "short", "price"]

    # ---- plumbing ------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        user: str,
        body: Any = None,
        ok: tuple[int, ...] = (),
        label: str | None = None,
    ) -> Any:
        """One request as a demo user; refusals outside `ok` stop the run with the API's message."""
        shown = json.dumps(body, sort_keys=True) if body else ""
        self.log.append(f"{method} {label or path} {user} {shown}".rstrip())
        answer = self.http.request(method, path, json=body, headers={"Authorization": f"Bearer demo-{user}"})
        if answer.status_code >= 400 and answer.status_code not in ok:
            raise SimulationError(f"{method} {path} as {user}: {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    def _read(self, path: str, user: str, **params: Any) -> Any:
        """A GET that is not logged: reads vary with Temporal's timing, requests do not."""
        answer = self.http.get(path, params=params, headers={"Authorization": f"Bearer demo-{user}"})
        answer.raise_for_status()
        return answer.json()

    def _wait(self, what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll until `probe` returns something truthy: workflows run asynchronously."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = probe()
            if found:
                return found
            time.sleep(0.2)
        raise SimulationError(f"timed out waiting for {what}")

    # ---- the run -------------------------------------------------------------------------------

    def catalogue(self) -> Catalogue:
        """Codes and ids of the demo retailer (the simulator never guesses an id)."""
        items = self._read("/items", "admin", limit=1000)
        sups = self._read("/suppliers", "admin", limit=1000)
        prices: dict[int, list[tuple[int, Decimal]]] = {}
        for p in self._read("/supplier-prices", "admin", limit=1000):
            prices.setdefault(p["supplier_id"], []).append((p["item_id"], D(str(p["price"]))))
        untracked = {i["id"] for i in items if i["tracking"] == "none"}
        return Catalogue(
            entities={e["code"]: e["id"] for e in self._read("/entities", "admin")},
            locations={x["code"]: x["id"] for x in self._read("/locations", "admin", limit=1000)},
            # Serial- and lot-tracked goods need scanned numbers at the dock; the simulator keeps to the rest.
            skus=sorted(i["sku"] for i in items if i["tracking"] == "none" and not i["archived"]),
            suppliers={s["code"]: s for s in sups if s["code"] in SUPPLIER_PROFILES},
            prices={k: sorted(v for v in vs if v[0] in untracked) for k, vs in prices.items()},
            customers=sorted(c["code"] for c in self._read("/customers", "admin", limit=1000)),
        )

    def run(self, days: int, progress: Callable[[int], None] = lambda _: None) -> Summary:
        """Simulate `days` business days ending today; `progress` is told after each day."""
        cat = self.catalogue()
        if "EU01" not in cat.entities or not cat.skus:
            raise SimulationError("the demo retailer is missing: run `erp seed` on an empty database")
        today = date.today()
        for n in range(days):
            day = today - timedelta(days=days - 1 - n)
            self._orders(cat, day)
            self._returns(day)
            self._deliveries(cat, day)
            self._purchasing(cat, day, last=n == days - 1)
            if n == days - 1:
                self._close(cat, day)
            progress(n + 1)
            if self.speed:
                time.sleep(self.speed)
        self.summary.tasks_waiting = self._waiting()
        return self.summary

    # ---- order to fulfil -----------------------------------------------------------------------

    def _orders(self, cat: Catalogue, day: date) -> None:
        for channel in (*SHIPPED_CHANNELS, *POS_CHANNELS):
            for k in range(self.rnd.randint(1, 3)):
                lines = [
                    {"sku": sku, "qty": str(self.rnd.randint(1, 2))}
                    for sku in self.rnd.sample(cat.skus, self.rnd.randint(1, 3))
                ]
                body = {
                    "channel": channel,
                    "external_id": f"SIM{self.seed}-{day:%Y%m%d}-{k + 1}",
                    "customer": self.rnd.choice(cat.customers),
                    "lines": lines,
                    **({"payment_method": PAYMENT[channel]} if channel in PAYMENT else {}),
                    **({"ship_to_region": "GB", "currency": "GBP"} if channel == "WEB-UK" else {}),
                }
                answer = self._call("POST", "/orders", "sam.sales", body, ok=(409, 422))
                if not answer or "order_number" not in answer:
                    continue  # refused (e.g. sold out on this channel): a real shop sees that too
                self.summary.orders += 1
                if channel in SHIPPED_CHANNELS:
                    self._ship(answer["order_number"])

    def _ship(self, number: str) -> None:
        """The warehouse ships every location that holds stock for the order."""
        detail = self._read(f"/orders/{number}", "wes.warehouse")
        places = sorted({a["location_id"] for a in detail["allocations"] if a["status"] == "active"})
        for loc in places:
            body = {
                "kind": "shipped",
                "location_id": loc,
                "carrier": "DHL",
                "event_id": f"sim-{number}-{loc}",
            }
            self._call("POST", f"/orders/{number}/warehouse-events", "wes.warehouse", body, ok=(409,))
        if places:
            self.summary.shipments += 1
            self.shipped.append(number)

    def _returns(self, day: date) -> None:
        """One in five of yesterday's shipped orders comes back (the first line, one unit)."""
        candidates, self.shipped = self.shipped, []
        for number in candidates:
            if self.rnd.random() < 0.2:
                body = {
                    "order_number": number,
                    "lines": [
                        {"line_no": 1, "qty": "1", "reason_code": self.rnd.choice(["size_fit", "damaged"])}
                    ],
                }
                if self._call("POST", "/returns", "sam.sales", body, ok=(409, 422)):
                    self.summary.returns += 1

    # ---- procure to pay ------------------------------------------------------------------------

    def _purchasing(self, cat: Catalogue, day: date, last: bool) -> None:
        """Three or four POs a day, mostly small, one in five mid-sized (two approval levels)."""
        for k in range(self.rnd.randint(3, 4)):
            code = self.rnd.choice(sorted(c for c in cat.suppliers if cat.prices.get(cat.suppliers[c]["id"])))
            sup = cat.suppliers[code]
            # The last day's first PO is small (one line, at most 20 units) and left for the README's
            # approver, ali (limit 5,000).
            keep = last and k == 0
            count = 1 if keep else self.rnd.randint(1, 3)
            offer = self.rnd.sample(cat.prices[sup["id"]], min(len(cat.prices[sup["id"]]), count))
            big = self.rnd.random() < 0.2 and not keep
            lines = [
                {
                    "item_id": item_id,
                    "location_id": cat.locations["WH-CENTRAL"],
                    "qty": str(
                        self.rnd.randint(300, 900) if big else self.rnd.randint(5, 20 if keep else 40)
                    ),
                }
                for item_id, _ in offer
            ]
            body = {
                "entity_id": cat.entities["EU01"],
                "supplier_id": sup["id"],
                "order_date": day.isoformat(),
                "landed_cost_pct": "2",
                "lines": lines,
            }
            answer = self._call("POST", "/purchase-orders", "bea.buyer", body)
            po = Po(answer["number"], code, sup["id"], answer["currency"], day, lines)
            self.summary.purchase_orders += 1
            self.pos.append(po)
            # The first two are approved; of the rest a third stays in the inbox for `erp tasks approve`.
            if not keep and (k < 2 or self.rnd.random() < 0.67):
                self._approve(po)

    def _approve(self, po: Po) -> None:
        """Approve level by level as the person the band asks for, until the PO is issued. An approver past
        their window cap is refused (403, a control, found by the 60-day soak, seed 20261130, day 15) and the
        PO waits in the inbox for a person; an approval nobody decided in time escalates to the controllers
        (found on day 34 of the same seed), and a controller decides it."""
        decided: set[int] = set()
        while True:
            task = self._wait(f"approval of PO {po.number}", lambda: self._next_approval(po.number, decided))
            if task is True:
                po.approved = True
                return
            decided.add(task["id"])
            user = task["candidate_user"] or _decider(task)
            # Task ids depend on timing (other workflows open tasks concurrently): log a stable label.
            label = f"<{po.number}:approval:{task['details'].get('level')}>"
            body = {"decision": "approve", "comment": "simulated"}
            answer = self._call(
                "POST",
                f"/tasks/{task['id']}/decision",
                user,
                body,
                ok=(403,),
                label=f"/tasks/{label}/decision",
            )
            if isinstance(answer, dict) and "detail" in answer:
                if "over_window_cap" not in str(answer["detail"]):
                    raise SimulationError(f"approval of PO {po.number} as {user}: 403 {answer}")
                return  # over the approver's window cap: left in the inbox
            self.summary.approvals += 1

    def _next_approval(self, number: str, decided: set[int]) -> Any:
        """The open approval task not yet decided, True once approval is over, None while waiting."""
        answer = self.http.get(f"/purchase-orders/{number}", headers={"Authorization": "Bearer demo-admin"})
        if answer.status_code == 404:
            return None  # the workflow's first activity has not stored the PO yet
        answer.raise_for_status()
        head = answer.json()
        if head["stage"] not in ("draft", "approval"):
            return True
        for task in head["tasks"]:
            if task["kind"] == "po_approval" and task["status"] == "open" and task["id"] not in decided:
                return task
        return None

    def _deliveries(self, cat: Catalogue, day: date) -> None:
        """Approved POs of earlier days: confirmed, delivered (late or short by profile) and invoiced."""
        for po in [p for p in self.pos if p.approved and p.day < day and not p.received]:
            profile = SUPPLIER_PROFILES[po.supplier]
            story = self.stories.pop(0) if self.stories else ""
            late = story == "late" or self.rnd.randint(1, 100) > profile.on_time_pct
            # A late supplier confirmed a date that has passed: the workflow raises the delay for the buyer.
            confirmed = day - timedelta(days=5) if late else day + timedelta(days=2)
            body = {"reference": f"AB-{po.number}", "confirmed_date": confirmed.isoformat()}
            self._call("POST", f"/purchase-orders/{po.number}/confirmations", "bea.buyer", body, ok=(409,))
            if late:
                self.summary.exceptions += 1
                po.received = {0: D(0)}  # nothing arrives during the run
                continue
            self._receive(po, 0 if story == "short" else profile.fill_rate_pct, day)
            drift = D(8) if story == "price" else profile.invoice_price_drift_pct
            self._invoice(po, drift, story == "price", day)

    def _receive(self, po: Po, fill_pct: int, day: date) -> None:
        lines = []
        for no, line in enumerate(po.lines, start=1):
            ordered = D(line["qty"])
            short = self.rnd.randint(1, 100) > fill_pct
            qty = (ordered * D("0.8")).to_integral_value() if short else ordered
            po.received[no] = qty
            lines.append({"line_no": no, "qty": str(qty)})
        body = {"delivery_note": f"DN-{po.number}", "received_on": day.isoformat(), "lines": lines}
        self._call("POST", f"/purchase-orders/{po.number}/receipts", "wes.warehouse", body)
        self.summary.receipts += 1

    def _invoice(self, po: Po, drift_pct: Decimal, always: bool, day: date) -> None:
        detail = self._read(f"/purchase-orders/{po.number}", "ada.ap")
        prices = {int(x["line_no"]): D(str(x["price"])) for x in detail["lines"]}
        # A drifting supplier sometimes bills above the PO price: beyond tolerance that is a match exception.
        bump = (D(1) + drift_pct / 100) if drift_pct and (always or self.rnd.random() < 0.5) else D(1)
        lines = [
            {"line_no": no, "qty": str(qty), "price": str((prices[no] * bump).quantize(D("0.01")))}
            for no, qty in sorted(po.received.items())
        ]
        body = {
            "po_number": po.number,
            "supplier_id": po.supplier_id,
            "invoice_number": f"INV-{po.supplier}-{po.number}",
            "invoice_date": day.isoformat(),
            "currency": po.currency,
            "lines": lines,
        }
        answer = self._call("POST", "/supplier-invoices", "ada.ap", body, ok=(409,))
        self.summary.invoices += 1
        if answer and answer.get("status") == "exception":
            self.summary.exceptions += 1

    # ---- close and the end ---------------------------------------------------------------------

    def _close(self, cat: Catalogue, day: date) -> None:
        """Start last month's close for EU01 (the schedule would on day 1)."""
        period = (day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        body = {"entity_id": cat.entities["EU01"], "period": period}
        self._call("POST", "/close/runs", "carla.controller", body)
        self.summary.closes += 1

    def _waiting(self) -> int:
        """Open tasks anyone of the demo staff could act on (each counted once)."""
        seen: set[int] = set()
        for user in ("ali.approver", "fin.manager", "cfo", "bea.buyer", "ada.ap", "carla.controller"):
            seen |= {t["id"] for t in self._read("/tasks", user, limit=500)}
        return len(seen)

    def write_log(self, path: Path) -> None:
        """The request log: one line per request, comparable between runs with the same seed."""
        path.write_text("\n".join(self.log) + "\n")


def _decider(task: dict[str, Any]) -> str:
    """Who decides an approval: the band's approver, or a controller once it escalated to them."""
    amount = D(str(task["details"]["amount_func"]))
    if task.get("candidate_role") == "controller":
        return "carla.controller" if amount <= 50000 else "cfo"
    return _approver_for(amount)


def _approver_for(amount: Decimal) -> str:
    """The demo approver whose limit covers the amount."""
    if amount <= 5000:
        return "ali.approver"
    return "fin.manager" if amount <= 50000 else "cfo"
