"""Money as the API speaks it: a decimal string amount and an ISO 4217 currency code."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.model import Model

# Far above any deal, and small enough that two-place amounts (and report sums of them) stay exact
# in Decimal's default 28-digit context; quantizing a 27-digit amount raises instead.
MAX_WHOLE_DIGITS = 15
CENTS = Decimal("0.01")


def two_places(amount: Decimal) -> str:
    """``amount`` as the API's two-place decimal string; ValueError if it cannot be money."""
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be a finite, non-negative amount")
    if amount.adjusted() >= MAX_WHOLE_DIGITS:
        raise ValueError(f"must have at most {MAX_WHOLE_DIGITS} digits before the decimal point")
    quantized = amount.quantize(CENTS)
    # "-0.00" is zero (and not below it): never store or show a negative zero.
    return str(quantized.copy_abs() if quantized.is_zero() else quantized)


class Money(Model):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[str, Field(examples=["199.00"], description="decimal string, two places")]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["SAR"])]

    @field_validator("amount")
    @classmethod
    def _decimal(cls, value: str) -> str:
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError('must be a decimal number written as a string, such as "199.00"')
        return two_places(amount)

    def decimal(self) -> Decimal:
        return Decimal(self.amount)
