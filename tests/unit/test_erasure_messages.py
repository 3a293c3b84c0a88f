"""The work queue carries erasures beside imports: each handler takes only its own messages."""

from __future__ import annotations

import json

import pytest

from chalicelib.jobs import erasures, imports


def test_an_erasure_message_names_the_organisation_account_and_request():
    entry = "2026-12-03T10:00:00.000000Z#org-a#acc-1"
    body = json.dumps({"tawasul_erasure": {"org": "org-a", "id": "acc-1", "entry": entry}})
    assert erasures.erasure_in_message(body) == ("org-a", "acc-1", entry)
    assert imports.imports_in_message(body) == []  # the import handler leaves it alone


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"tawasul_import": {"org": "org-a", "id": "imp-1"}}),
        json.dumps({"tawasul_erasure": {"org": "org-a", "id": "acc-1"}}),  # no request entry
        json.dumps({"tawasul_erasure": {"org": "org-a", "id": 7, "entry": "x"}}),
        json.dumps({"tawasul_erasure": "acc-1"}),
    ],
)
def test_anything_else_is_not_an_erasure(body):
    assert erasures.erasure_in_message(body) is None
    assert erasures.handle_message(body) is False
