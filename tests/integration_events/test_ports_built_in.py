"""The built-in ports a retailer runs with before connecting real providers: sales tax from the rate
table, and parcels recorded with a tracking number that fits the carrier."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from models.master import TaxRate
from ports.carrier import CarrierPort, ParcelHandover, RecordingCarrier
from ports.payment import LedgerPaymentPort, PaymentPort
from ports.tax import RateTableTax, TaxPort, TaxQuery
from rules.errors import RuleViolation

D = Decimal


def test_tax_follows_the_rate_valid_on_the_day_of_the_sale(engine: Engine) -> None:
    region = f"R{uuid.uuid4().hex[:6]}"
    with Session(engine) as s:
        s.add(TaxRate(region=region, tax_class="standard", rate=D("0.19"), valid_from=date(2020, 1, 1)))
        s.add(TaxRate(region=region, tax_class="standard", rate=D("0.16"), valid_from=date(2026, 7, 1)))
        s.commit()
    tax: TaxPort = RateTableTax()
    with Session(engine) as s:
        june = tax.calculate(s, TaxQuery(region, "standard", date(2026, 6, 30), D("10.05"), "EUR"))
        july = tax.calculate(s, TaxQuery(region, "standard", date(2026, 7, 1), D("10.05"), "EUR"))
        assert (june.rate, june.tax) == (D("0.19"), D("1.91"))  # 1.9095 rounds half up
        assert (july.rate, july.tax) == (D("0.16"), D("1.61"))  # 1.608
        with pytest.raises(RuleViolation) as none:
            tax.calculate(s, TaxQuery(region, "reduced", date(2026, 7, 1), D("10"), "EUR"))
        assert none.value.field == "tax_class"


def test_a_parcel_is_recorded_once_with_a_tracking_number_that_fits_its_carrier(engine: Engine) -> None:
    carrier: CarrierPort = RecordingCarrier()
    key = f"shipment:{uuid.uuid4().hex[:8]}"
    parcel = ParcelHandover(key, "UPS", "1z 999 aa1 0123456784", "sales_order", "SO-1")
    with Session(engine) as s:
        first = carrier.book(s, parcel)
        s.commit()
    with Session(engine) as s:  # the activity ran again after a timeout
        again = carrier.book(s, parcel)
        s.commit()
    assert first == again
    assert (first.carrier, first.tracking) == ("ups", "1Z999AA10123456784")
    assert first.tracking_url is not None and first.tracking_url.endswith("1Z999AA10123456784")
    with Session(engine) as s, pytest.raises(RuleViolation) as wrong:
        carrier.book(s, ParcelHandover(f"{key}:2", "Royal Mail", "1Z999AA10123456784", "sales_order", "SO-1"))
    assert wrong.value.field == "tracking" and "royal_mail" in wrong.value.reason


def test_the_payment_port_is_the_order_flows_ledger_clearing() -> None:
    port: PaymentPort = LedgerPaymentPort()
    assert callable(port.capture) and callable(port.refund)
