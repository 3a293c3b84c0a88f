"""Cold start: importing the app builds no pydantic validator and loads no service or persistence
module (bench/cold_start.py measures the time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CHECK = """
import app
from pydantic import BaseModel
from chalicelib.domain.model import Model

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

ours = {m for m in subclasses(BaseModel) if m.__module__.startswith("chalicelib")}
assert len(ours) > 40, len(ours)
plain = sorted(m.__qualname__ for m in ours if m is not Model and not issubclass(m, Model))
assert not plain, f"models not deferred (subclass chalicelib.domain.model.Model): {plain}"
built = sorted(m.__qualname__ for m in ours if m.__pydantic_complete__)
assert not built, f"validators built at import (an instance made at module level?): {built}"
import sys
LAZY = ("chalicelib.services", "pynamodb.connection", "pynamodb.models")
eager = sorted(m for m in sys.modules if m.startswith(LAZY))
assert not eager, f"imported at start-up (routes import their service on first call): {eager}"
"""


def test_importing_the_app_builds_no_model() -> None:
    subprocess.run([sys.executable, "-c", _CHECK], cwd=ROOT, check=True, timeout=120)


def test_a_deferred_model_still_validates_and_keeps_its_config() -> None:
    import pytest
    from pydantic import ValidationError

    from chalicelib.domain.settings import FollowUp, OrgSettings

    with pytest.raises(ValidationError):
        FollowUp(checkin_days=[1], unknown=1)  # extra="forbid" merged with defer_build
    settings = OrgSettings()
    assert settings.follow_up.coupon.percent_off == 10
    assert settings.follow_up.bonus_materials[0].url == "https://example.com/guide.pdf"
    assert settings.model_fields_set == set()


def test_a_lazy_module_is_the_module_on_first_use() -> None:
    from chalicelib.api.lazy import LazyModule, service
    from chalicelib.domain import money

    lazy = LazyModule("chalicelib.domain.money")
    assert lazy.Money is money.Money
    assert lazy.module() is money
    assert repr(service("accounts")) == "<lazy module 'chalicelib.services.accounts'>"
