"""The bounds in one place: what each kind of number, date and code accepts, and how a decision payload
that breaks them is refused (a typed INVALID refusal naming payload.<key>, never another exception)."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from temporalio.exceptions import ApplicationError

from models.contracts.bounds import (
    Amount,
    CurrencyCode,
    EventDate,
    Percentage,
    PlanDate,
    PositiveAmount,
    Quantity,
    Rate,
    UnitCost,
)
from models.contracts.decisions import CountsPayload, KeepWaitingPayload, SubstitutePayload
from models.contracts.errors import INVALID
from workflows.inbox import parse_payload
from workflows.purchasing.checks import payload_date

D = Decimal
TODAY = date.today()


def _ok(kind: Any, value: object) -> object:
    return TypeAdapter(kind).validate_python(value)


def _refused(kind: Any, value: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python(value)


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        # More places than the column holds are refused, never rounded: nothing accepted rounds to zero.
        (
            Quantity,
            ["1", "0.0001", "10000000", "12.50000"],
            ["0", "-1", "0.00001", "1e30", "NaN", "Infinity"],
        ),
        (UnitCost, ["0", "4.123456", "1000000"], ["-0.01", "4.1234567", "1000000.01", "NaN"]),
        (Amount, ["0", "119.00", "1000000000000"], ["-1", "1e30", "0.00001", "-Infinity"]),
        (PositiveAmount, ["0.01"], ["0", "1e13"]),
        (Rate, ["0.9150", "1000000"], ["0", "1e30", "0.00000000001"]),
        (Percentage, ["0", "3.5", "100"], ["100.01", "-1"]),
    ],
)
def test_each_kind_of_number_accepts_what_fits_its_column(kind: Any, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert _ok(kind, value) == D(value)
    for value in bad:
        _refused(kind, value)


def test_dates_stay_in_a_retailers_window() -> None:
    assert _ok(EventDate, TODAY) == TODAY
    assert _ok(EventDate, "2000-01-01") == date(2000, 1, 1)
    for bad in ("1900-01-01", "9999-12-31", (TODAY + timedelta(days=3)).isoformat()):
        _refused(EventDate, bad)
    assert _ok(PlanDate, TODAY + timedelta(days=700)) == TODAY + timedelta(days=700)
    for bad in ("1999-12-31", (TODAY + timedelta(days=800)).isoformat(), "9999-12-31"):
        _refused(PlanDate, bad)


def test_currencies_are_iso_4217() -> None:
    for code in ("EUR", "USD", "CHF", "JPY"):
        assert _ok(CurrencyCode, code) == code
    for code in ("XXY", "eur", "EURO", ""):
        _refused(CurrencyCode, code)


def _refusal(model: Any, payload: dict[str, Any]) -> str:
    with pytest.raises(ApplicationError) as caught:
        parse_payload(model, payload)
    assert caught.value.type == INVALID and caught.value.non_retryable
    return caught.value.message


def test_a_bad_decision_payload_is_a_refusal_naming_its_key() -> None:
    assert _refusal(KeepWaitingPayload, {"days": "abc"}).startswith("payload.days: ")
    assert _refusal(KeepWaitingPayload, {"days": 366}).startswith("payload.days: ")
    assert _refusal(SubstitutePayload, {}).startswith("payload.sku: ")
    assert _refusal(CountsPayload, {"counts": {"7": "0.00001"}}).startswith("payload.counts.7: ")
    assert parse_payload(KeepWaitingPayload, {"days": "7", "note": "ignored"}).days == 7
    assert parse_payload(KeepWaitingPayload, {}).days is None
    assert parse_payload(CountsPayload, {"counts": {"7": "3"}}).counts == {7: D(3)}


def test_a_payload_date_is_after_today_and_within_the_horizon() -> None:
    assert payload_date({"new_date": (TODAY + timedelta(days=10)).isoformat()}, "new_date", TODAY, True)
    for bad in ("9999-12-31", TODAY.isoformat(), "soon"):
        with pytest.raises(ApplicationError) as caught:
            payload_date({"new_date": bad}, "new_date", TODAY, True)
        assert caught.value.message.startswith("payload.new_date: ")
