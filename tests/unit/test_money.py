import pytest

from chalicelib.domain.money import Money, two_places


@pytest.mark.parametrize("amount", ["-0.00", "-0", "-0.0", " -0.00 ", "0.004", "-0E+3"])
def test_negative_zero_is_plain_zero(amount):
    assert Money(amount=amount, currency="SAR").amount == "0.00"


@pytest.mark.parametrize("amount", ["-0.01", "-1", "-0.001"])
def test_negative_amounts_are_refused(amount):
    with pytest.raises(ValueError, match="non-negative"):
        Money(amount=amount, currency="SAR")


def test_two_places_rounds_to_cents():
    from decimal import Decimal

    assert two_places(Decimal("199")) == "199.00"
    assert two_places(Decimal("1.005")) == "1.00"
