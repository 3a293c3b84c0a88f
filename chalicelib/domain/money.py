"""Money as the API speaks it: a decimal string amount and an ISO 4217 currency code."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Money(BaseModel):
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
        if not amount.is_finite() or amount < 0:
            raise ValueError("must be a finite, non-negative amount")
        return str(amount.quantize(Decimal("0.01")))

    def decimal(self) -> Decimal:
        return Decimal(self.amount)
