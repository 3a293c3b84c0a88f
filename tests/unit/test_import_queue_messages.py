"""The import worker's message parsing: S3 events and continuations, nothing else."""

from __future__ import annotations

import json

from chalicelib.jobs.imports import imports_in_message


def s3_event(key: str, event: str = "ObjectCreated:Put") -> str:
    return json.dumps({"Records": [{"eventName": event, "s3": {"object": {"key": key}}}]})


def test_an_upload_event_names_its_import_with_the_key_url_decoded():
    assert imports_in_message(s3_event("uploads/org-a/imp%2B1.csv")) == [("org-a", "imp+1")]


def test_a_continuation_names_its_import():
    assert imports_in_message(json.dumps({"tawasul_import": {"org": "o", "id": "i"}})) == [("o", "i")]


def test_other_objects_events_and_junk_are_skipped():
    assert imports_in_message(s3_event("elsewhere/org-a/x.csv")) == []
    assert imports_in_message(s3_event("uploads/org-a/x.csv", "ObjectRemoved:Delete")) == []
    assert imports_in_message(json.dumps({"Event": "s3:TestEvent"})) == []
    assert imports_in_message("not json") == []
    assert imports_in_message(json.dumps(["a"])) == []
    assert imports_in_message(json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": "x"}]})) == []
