"""Valuation: a shop receives 10 mugs @ 5.00 then 10 @ 7.00 and sells 15 (domain.md section 3)."""

from decimal import Decimal as D

import pytest

from rules.errors import RuleViolation
from rules.valuation import (
    AverageCost,
    FifoLayer,
    LayerConsumption,
    consume_fifo,
    issue_average,
    receive_average,
)

EMPTY = AverageCost(qty=D(0), value=D(0))


def test_moving_average_worked_example() -> None:
    # (10 x 5 + 10 x 7) / 20 = 120 / 20 = 6.00; issuing 15 takes 15 x 6 = 90.00, leaving 5 worth 30.00.
    state = receive_average(EMPTY, D(10), D("5.00"), "EUR")
    state = receive_average(state, D(10), D("7.00"), "EUR")
    assert (state.qty, state.value, state.rate) == (D(20), D("120.00"), D("6.000000"))
    state, issued = issue_average(state, D(15), "EUR")
    assert issued == D("90.00")
    assert (state.qty, state.value) == (D(5), D("30.00"))


def test_average_never_drifts_from_the_ledger() -> None:
    # 3 @ 3.333333 = 9.999999 -> 10.00 on the books. Issue one at a time:
    # 10.00 x 1/3 = 3.33 (6.67 left); 6.67 x 1/2 = 3.335 -> 3.34 (3.33 left); the last unit takes 3.33.
    # 3.33 + 3.34 + 3.33 = 10.00: exactly what was booked, nothing stranded in the inventory account.
    state = receive_average(EMPTY, D(3), D("3.333333"), "EUR")
    assert state.value == D("10.00")
    issued = []
    for _ in range(3):
        state, value = issue_average(state, D(1), "EUR")
        issued.append(value)
    assert issued == [D("3.33"), D("3.34"), D("3.33")]
    assert (state.qty, state.value) == (D(0), D("0.00"))


def test_last_issue_takes_residue_of_a_migrated_opening_balance() -> None:
    # A legacy system handed over 3 units worth 10.005 (4-decimal books). Issuing all 3 must empty the
    # account exactly: 10.005 out, not 10.01 (which would leave -0.005 on the books).
    state, issued = issue_average(AverageCost(D(3), D("10.005")), D(3), "EUR")
    assert issued == D("10.005")
    assert (state.qty, state.value) == (D(0), D("0.00"))


def test_emptying_a_fifo_layer_takes_its_exact_book_value() -> None:
    issue = consume_fifo([FifoLayer("opening", D(3), D("3.335"), D("10.005"))], D(3), "EUR")
    assert issue.value == D("10.005")


def test_rate_of_empty_stock_is_zero() -> None:
    assert EMPTY.rate == D("0.000000")


def test_average_refuses_overissue_and_bad_inputs() -> None:
    state = receive_average(EMPTY, D(20), D("6"), "EUR")
    with pytest.raises(RuleViolation) as exc:
        issue_average(state, D(21), "EUR")
    assert exc.value.field == "qty"
    with pytest.raises(RuleViolation) as exc:
        issue_average(state, D(0), "EUR")
    assert exc.value.field == "qty"
    with pytest.raises(RuleViolation) as exc:
        receive_average(state, D(1), D("-1"), "EUR")
    assert exc.value.field == "unit_cost"


def test_fifo_worked_example() -> None:
    # Oldest first: 10 x 5.00 = 50.00 from the first receipt, 5 x 7.00 = 35.00 from the second; 85.00.
    layers = [FifoLayer("rcpt-1", D(10), D("5.00")), FifoLayer("rcpt-2", D(10), D("7.00"))]
    issue = consume_fifo(layers, D(15), "EUR")
    assert issue.consumed == (
        LayerConsumption("rcpt-1", D(10), D("5.00"), D("50.00")),
        LayerConsumption("rcpt-2", D(5), D("7.00"), D("35.00")),
    )
    assert issue.value == D("85.00")
    assert issue.remaining == (FifoLayer("rcpt-2", D(5), D("7.00"), D("35.00")),)


def test_fifo_partial_takes_never_drift() -> None:
    # Same 3 @ 3.333333 (book 10.00) issued one by one from the layer: 3.33, then 6.67/2 -> 3.34, then 3.33.
    layers: tuple[FifoLayer, ...] = (FifoLayer("rcpt-9", D(3), D("3.333333")),)
    values = []
    for _ in range(3):
        issue = consume_fifo(layers, D(1), "EUR")
        values.append(issue.value)
        layers = issue.remaining
    assert values == [D("3.33"), D("3.34"), D("3.33")]
    assert layers == ()


def test_fifo_skips_empty_layers() -> None:
    layers = [FifoLayer("old", D(0), D("1.00")), FifoLayer("new", D(4), D("2.50"))]
    issue = consume_fifo(layers, D(4), "EUR")
    assert issue.consumed == (LayerConsumption("new", D(4), D("2.50"), D("10.00")),)
    assert issue.remaining == ()


def test_fifo_refuses_more_than_layers_hold() -> None:
    with pytest.raises(RuleViolation) as exc:
        consume_fifo([FifoLayer("rcpt-1", D(10), D("5"))], D("10.5"), "EUR")
    assert exc.value.field == "qty"


def test_fifo_refuses_negative_layer() -> None:
    with pytest.raises(RuleViolation) as exc:
        consume_fifo([FifoLayer("bad", D(-1), D("5")), FifoLayer("ok", D(10), D("5"))], D(1), "EUR")
    assert exc.value.field == "layers"
