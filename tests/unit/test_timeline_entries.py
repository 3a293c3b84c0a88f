"""Timeline entries are built by one domain function; what each change records, and how it is stored."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import get_args

from chalicelib.domain import pipeline
from chalicelib.domain.interactions import Interaction, interaction_entry
from chalicelib.domain.objections import SUMMARY_TEXT, Objection, objection_entry
from chalicelib.domain.pipeline import Lead, LeadCreate
from chalicelib.domain.timeline import TimelineKind, timeline_entry
from chalicelib.persistence import keys
from chalicelib.persistence import timeline as timeline_store

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _lead() -> tuple[Lead, pipeline.StageMove]:
    data = LeadCreate(account_id="a1", title="عرض")
    return pipeline.new_lead(lead_id="l1", org_id="o1", owner_id="u1", data=data, by="u1", now=NOW)


def test_the_kinds_the_next_features_need_are_there():
    assert {"order", "order_event", "message", "coupon", "follow_up"} <= set(get_args(TimelineKind))


def test_timeline_entry_drops_empty_values_and_makes_an_id():
    entry = timeline_entry(
        "coupon", org_id="o1", account_id="a1", at=NOW, entity_id="C10", data={"code": "C10", "order_id": None}
    )
    assert entry.data == {"code": "C10"} and entry.id and entry.kind == "coupon"
    again = timeline_entry("coupon", org_id="o1", account_id="a1", at=NOW, entity_id="C10", entry_id="fixed")
    assert again.id == "fixed" and again.data == {}


def test_a_lead_records_its_creation_moves_and_loss():
    lead, first = _lead()
    assert pipeline.move_entry(lead, first).kind == "lead_created"
    moved, move = pipeline.move(lead, "closing", by="u1", now=NOW)
    entry = pipeline.move_entry(moved, move)
    assert (entry.kind, entry.entity_id, entry.lead_id, entry.data["to_stage"]) == ("stage_move", "l1", "l1", "closing")
    lost, loss = pipeline.mark_lost(moved, reason="price", objection_id="ob1", by="u1", now=NOW)
    entry = pipeline.move_entry(lost, loss)
    assert (entry.kind, entry.data["objection_id"], entry.data["note"]) == ("lost", "ob1", "price")


def test_an_objection_entry_shows_a_summary():
    objection = Objection("ob1", "o1", "l1", "a1", "price", "x" * 500, "u1", NOW, NOW)
    entry = objection_entry(objection)
    assert (entry.kind, entry.lead_id, len(entry.data["text"])) == ("objection", "l1", SUMMARY_TEXT)
    assert "counter_offer" not in entry.data


def test_an_inbound_interaction_is_stored_where_the_contact_report_reads_it():
    def interaction(direction: str) -> Interaction:
        return Interaction("i1", "o1", "a1", "whatsapp", direction, "hi", NOW, "u1", "u1", NOW)  # type: ignore[arg-type]

    inbound = timeline_store.to_item(interaction_entry(interaction("inbound"))).serialize()
    assert inbound["sk"]["S"] == keys.timeline(keys.moment(NOW), "interaction", "i1")
    assert inbound["gsi1pk"]["S"] == keys.inquiries("o1", NOW)
    assert inbound["entry_type"]["S"] == "interaction" and inbound["id"]["S"] == "i1"
    outbound = timeline_store.to_item(interaction_entry(interaction("outbound"))).serialize()
    assert "gsi1pk" not in outbound


def test_each_combination_of_lead_filters_has_its_own_partition():
    combos = list(itertools.product([None, "u1"], [None, "open", "lost"], [None, "closing", "approach"]))
    partitions = {keys.lead_list("o1", owner_id=o, status=s, stage=t) for o, s, t in combos}
    assert len(partitions) == len(combos)


def test_a_stored_lead_is_in_the_partition_of_every_filter_it_matches():
    from chalicelib.persistence import leads as lead_store

    lead, _ = _lead()
    lead.stage, lead.status = "closing", "lost"
    stored = [item.serialize() for item in lead_store.new_lead_items(lead)]
    entries = {
        (index, raw[f"{index}pk"]["S"]) for raw in stored for index in ("gsi1", "gsi2", "gsi3") if f"{index}pk" in raw
    }
    for owner, status, stage in itertools.product([None, "u1"], [None, "lost"], [None, "closing"]):
        assert keys.lead_list("o1", owner_id=owner, status=status, stage=stage) in entries
    assert len(entries) == 8 and {raw["kind"]["S"] for raw in stored} == {"lead", "lead_index"}
    assert all(raw["created_at"] == stored[0]["created_at"] for raw in stored)
