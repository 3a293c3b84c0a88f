"""Every key format of the single table, built in one place (see docs/data-model.md).

The organisation id leads every partition key, so no query can cross tenants.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from functools import lru_cache

from chalicelib.domain.timeutil import format_exact

PROFILE = "#PROFILE"  # the entity's own item inside its partition
CLAIM = "#CLAIM"  # a unique claim (e-mail, phone, coupon code ...)


def org(org_id: str) -> str:
    return f"ORG#{org_id}"


def settings() -> str:
    return "#SETTINGS"


def account(org_id: str, account_id: str) -> str:
    return f"ORG#{org_id}#ACC#{account_id}"


def accounts_list(org_id: str) -> str:
    """GSI1 partition: every account of the organisation, newest first."""
    return f"ORG#{org_id}#ACCOUNTS"


def owner_accounts(org_id: str, owner_id: str) -> str:
    """GSI2 partition: accounts a rep owns, plus access links to accounts carrying their leads."""
    return f"ORG#{org_id}#OWNER#{owner_id}#ACCOUNTS"


def access(user_id: str) -> str:
    """Sort key of an access link inside an account partition."""
    return f"#ACCESS#{user_id}"


def link(kind: str, entity_id: str) -> str:
    """Sort key, in an account partition, of something attached to it (erased with it)."""
    return f"#LINK#{kind}#{entity_id}"


def timeline(at: str, kind: str, item_id: str) -> str:
    """Sort key of a timeline entry in the account partition; ISO times sort chronologically."""
    return f"TL#{at}#{kind}#{item_id}"


TIMELINE_PREFIX = "TL#"


def email_claim(org_id: str, email: str) -> str:
    return f"ORG#{org_id}#EMAIL#{email}"


def phone_claim(org_id: str, phone: str) -> str:
    return f"ORG#{org_id}#PHONE#{phone}"


def name_shard(org_id: str, search_key: str) -> str:
    """Name-prefix index partition, sharded by the key's first character to spread writes."""
    return f"ORG#{org_id}#NAME#{search_key[:1]}"


def name_entry(search_key: str, account_id: str) -> str:
    return f"{search_key}#{account_id}"


def entity(org_id: str, kind: str, entity_id: str) -> str:
    """Partition of a lead, order, import job, rep ... : ``ORG#o#LEAD#id``."""
    return f"ORG#{org_id}#{kind}#{entity_id}"


def sortable(created_at: datetime, entity_id: str) -> str:
    """Sort key for "newest first" lists: a fixed-width time, then the id to break ties."""
    return f"{moment(created_at)}#{entity_id}"


LEAD = "LEAD"


def lead(org_id: str, lead_id: str) -> str:
    return entity(org_id, LEAD, lead_id)


def leads_list(org_id: str) -> str:
    """GSI1 partition: every lead of the organisation."""
    return f"ORG#{org_id}#LEADS"


def owner_leads(org_id: str, owner_id: str) -> str:
    """GSI2 partition: the leads one rep owns."""
    return f"ORG#{org_id}#OWNER#{owner_id}#LEADS"


def leads_by_state(org_id: str, status: str, stage: str) -> str:
    """GSI3 partition: the leads in one status and stage."""
    return f"ORG#{org_id}#LEADS#{status}#{stage}"


# A lead item has three index entries (all leads, the owner's, status+stage); two copies of it
# in its partition carry the other five lists a filter can ask for (see ``lead_lists``).
LEAD_INDEX_COPIES = ("#INDEX#1", "#INDEX#2")


def leads_by_status(org_id: str, status: str) -> str:
    """GSI1 partition (first index copy): the leads in one status."""
    return f"ORG#{org_id}#LEADS#STATUS#{status}"


def leads_by_stage(org_id: str, stage: str) -> str:
    """GSI3 partition (first index copy): the leads in one stage, whatever their status."""
    return f"ORG#{org_id}#LEADS#STAGE#{stage}"


def owner_leads_by_status(org_id: str, owner_id: str, status: str) -> str:
    """GSI2 partition (first index copy): one rep's leads in one status."""
    return f"ORG#{org_id}#OWNER#{owner_id}#LEADS#STATUS#{status}"


def owner_leads_by_stage(org_id: str, owner_id: str, stage: str) -> str:
    """GSI2 partition (second index copy): one rep's leads in one stage."""
    return f"ORG#{org_id}#OWNER#{owner_id}#LEADS#STAGE#{stage}"


def owner_leads_by_state(org_id: str, owner_id: str, status: str, stage: str) -> str:
    """GSI3 partition (second index copy): one rep's leads in one status and stage."""
    return f"ORG#{org_id}#OWNER#{owner_id}#LEADS#{status}#{stage}"


def lead_list(org_id: str, *, owner_id: str | None, status: str | None, stage: str | None) -> tuple[str, str]:
    """(index, partition) of the list of leads matching every filter given: each combination
    of owner, status and stage is one partition, read with one Query, newest first."""
    if owner_id:
        if status and stage:
            return "gsi3", owner_leads_by_state(org_id, owner_id, status, stage)
        if status:
            return "gsi2", owner_leads_by_status(org_id, owner_id, status)
        if stage:
            return "gsi2", owner_leads_by_stage(org_id, owner_id, stage)
        return "gsi2", owner_leads(org_id, owner_id)
    if status and stage:
        return "gsi3", leads_by_state(org_id, status, stage)
    if status:
        return "gsi1", leads_by_status(org_id, status)
    if stage:
        return "gsi3", leads_by_stage(org_id, stage)
    return "gsi1", leads_list(org_id)


def moment(at: datetime) -> str:
    """A fixed-width UTC time for sort keys (microseconds always present, so strings sort like
    times; ``isoformat`` drops a zero fraction, which would sort ``…00Z`` after ``…00.5Z``)."""
    if at.tzinfo is None:  # read in the local zone, which may change: not remembered
        return format_exact(at)
    return _utc_moment(at)


@lru_cache(maxsize=256)
def _utc_moment(at: datetime) -> str:
    """Remembered: a bulk write keys many items with one time (an import chunk's rows are all
    created at the same moment). Equal aware times are the same instant, so the same text."""
    return format_exact(at)


HISTORY_PREFIX = "HIST#"
OBJECTION_PREFIX = "OBJ#"
REFERRAL_PREFIX = "REF#"
# A lead's own item, its stage history and its objections sort together ("#PROFILE" < "HIST#…"
# < "OBJ#…" < "REF#…"), so one Query between these bounds reads a lead with both.
LEAD_READ_FROM = PROFILE
LEAD_READ_TO = "OBJ$"


def stage_move(at: datetime, seq: int) -> str:
    """Sort key of a stage-history entry; ``seq`` is the lead's version after the move, unique
    per lead, so two moves in the same microsecond still get distinct keys."""
    return f"{HISTORY_PREFIX}{moment(at)}#{seq:08d}"


def objection(objection_id: str) -> str:
    return f"{OBJECTION_PREFIX}{objection_id}"


def objections_list(org_id: str) -> str:
    """GSI1 partition: every objection of the organisation (the objections report)."""
    return f"ORG#{org_id}#OBJECTIONS"


def referral_request(request_id: str) -> str:
    return f"{REFERRAL_PREFIX}{request_id}"


def referral_request_lookup(org_id: str, request_id: str) -> str:
    """GSI3 partition that finds a referral request by id (``PATCH /referral-requests/{rid}``)."""
    return f"ORG#{org_id}#REFREQ#{request_id}"


REFERRAL_LOOKUP_SK = "REF"


def inquiries(org_id: str, at: datetime) -> str:
    """GSI1 partition of one month's inbound interactions (the contact-success report)."""
    return f"ORG#{org_id}#INQUIRIES#{at.astimezone(UTC).strftime('%Y-%m')}"


REP = "REP"


def rep(org_id: str, user_id: str) -> str:
    return entity(org_id, REP, user_id)


def reps_list(org_id: str) -> str:
    """GSI1 partition: every rep profile of the organisation."""
    return f"ORG#{org_id}#REPS"


SCORECARD_SCHEDULE = "#SCORECARD"  # in the rep's partition: when their next scorecard e-mail is due
SCORECARD_SHARDS = 4
SEND_ONCE_PREFIX = "#ONCE#"


def scorecard_due(shard: int) -> str:
    """GSI3 partition of the reps' next scorecard e-mails across organisations, sorted by due
    moment (read only by the job)."""
    return f"DUE#SCORECARD#{shard}"


def send_once(send_key: str) -> str:
    """Sort key (in the recipient's partition) of the claim that lets one message per key out."""
    return f"{SEND_ONCE_PREFIX}{send_key}"


IMPORT = "IMPORT"


def import_job(org_id: str, import_id: str) -> str:
    return entity(org_id, IMPORT, import_id)


def imports_list(org_id: str) -> str:
    """GSI1 partition: the organisation's import jobs, newest first."""
    return f"ORG#{org_id}#IMPORTS"


# GSI3 partition of import jobs still running, read only by the job that resumes stalled ones
# (like the DUE# partitions, it spans organisations and is never read by a request).
ACTIVE_IMPORTS = "IMPORTS#ACTIVE"


def active_import(updated_at: datetime, org_id: str, import_id: str) -> str:
    return f"{moment(updated_at)}#{org_id}#{import_id}"


UPLOADS_PREFIX = "uploads/"


def upload_object(org_id: str, import_id: str) -> str:
    """S3 key of an uploaded import file; the bucket notifies the import queue for this prefix."""
    return f"{UPLOADS_PREFIX}{org_id}/{import_id}.csv"


def parse_upload_object(key: str) -> tuple[str, str] | None:
    """(org, import id) of an upload key, or None for anything else in the bucket."""
    if not key.startswith(UPLOADS_PREFIX) or not key.endswith(".csv"):
        return None
    parts = key[len(UPLOADS_PREFIX) : -len(".csv")].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


# -- orders, match keys, the ladder and the outbox (see docs/data-model.md) -------------------

ORDER = "ORDER"
ORDER_EVENT_PREFIX = "EV#"
MESSAGE_PREFIX = "MSG#"
MATCH_HISTORY = "#HISTORY"
ORDER_LINK_PREFIX = f"#LINK#{ORDER}#"
LADDER_SHARDS = 4
OUTBOX_SHARDS = 4
CALL_QUEUE_PREFIX = "CALL#"


def order(org_id: str, order_id: str) -> str:
    return entity(org_id, ORDER, order_id)


def orders_list(org_id: str) -> str:
    """GSI1 partition: every order of the organisation, newest first."""
    return f"ORG#{org_id}#ORDERS"


def owner_orders(org_id: str, owner_id: str) -> str:
    """GSI2 partition: the orders one rep owns."""
    return f"ORG#{org_id}#OWNER#{owner_id}#ORDERS"


def orders_by_status(org_id: str, status: str) -> str:
    """GSI3 partition: the orders in one status (pending ones needing a call sort under ``CALL#``)."""
    return f"ORG#{org_id}#ORDERS#{status}"


def order_event(at: datetime, seq: int) -> str:
    return f"{ORDER_EVENT_PREFIX}{moment(at)}#{seq:08d}"


def order_match(org_id: str, key_type: str, value: str) -> str:
    """Partition of one match key (normalised phone, e-mail or address hash) of earlier orders."""
    return f"ORG#{org_id}#OMATCH#{key_type.upper()}#{value}"


def shard_of(entity_id: str, shards: int) -> int:
    """A stable shard for an id (not Python's salted hash())."""
    return zlib.crc32(entity_id.encode()) % shards


def ladder_due(shard: int) -> str:
    """Partition of confirmation-ladder steps due, across organisations (read only by the job)."""
    return f"DUE#LADDER#{shard}"


def outbox_due(shard: int) -> str:
    """Partition of outbox messages waiting to be sent or confirmed sent (read only by the job)."""
    return f"DUE#OUTBOX#{shard}"


ERASURE_SHARDS = 4


def erasure_due(shard: int) -> str:
    """Partition of account erasures requested and not finished yet, across organisations: the
    worker deletes an entry when it is done; the sweeper re-queues entries older than their moment."""
    return f"DUE#ERASURE#{shard}"


def due_entry(due_at: datetime, org_id: str, entity_id: str) -> str:
    return f"{moment(due_at)}#{org_id}#{entity_id}"


def message(created_at: datetime, message_id: str) -> str:
    """Sort key of an outbox message in its account's partition."""
    return f"{MESSAGE_PREFIX}{moment(created_at)}#{message_id}"


def messages_by_status(org_id: str) -> str:
    """GSI1 partition of the organisation's messages; the sort key starts with the status."""
    return f"ORG#{org_id}#MESSAGES"


def messages_by_kind(org_id: str, kind: str) -> str:
    """GSI3 partition: one kind of message; the sort key starts with the status."""
    return f"ORG#{org_id}#MESSAGES#KIND#{kind}"


def order_messages(org_id: str, order_id: str) -> str:
    """GSI2 partition: the messages sent about one order."""
    return f"ORG#{org_id}#ORDER#{order_id}#MESSAGES"


def status_sortable(status: str, created_at: datetime, entity_id: str) -> str:
    return f"{status}#{sortable(created_at, entity_id)}"


# -- after the sale: follow-up plans and coupons (see docs/data-model.md) ---------------------

FOLLOW_UP_PREFIX = "FU#"
FOLLOW_UP_SHARDS = 4
COUPON = "COUPON"


def follow_up(kind: str, day: int) -> str:
    """Sort key, in the order's partition, of one planned follow-up: one per (order, kind, day)."""
    return f"{FOLLOW_UP_PREFIX}{kind}#{day:04d}"


def follow_up_due(shard: int) -> str:
    """Partition of follow-ups due to be sent, across organisations (read only by the job)."""
    return f"DUE#FOLLOWUP#{shard}"


def coupon(org_id: str, code: str) -> str:
    return entity(org_id, COUPON, code)


def account_coupons(org_id: str, account_id: str) -> str:
    """GSI1 partition: the coupons issued to one account, newest first."""
    return f"ORG#{org_id}#ACC#{account_id}#COUPONS"


# -- reports ---------------------------------------------------------------------------------


def stats(org_id: str, scope: str) -> str:
    """Partition of one scope's counter items (``ORG`` or ``REP#u``); sort keys are periods
    (``D#<yyyy-mm-dd>`` days, ``S#<yyyy-mm-ddThh:mm>`` 15-minute slots), so a report reads a
    period with one Query."""
    return f"ORG#{org_id}#STATS#{scope}"


def stats_list(org_id: str) -> str:
    """GSI1 partition of every counter item of the organisation (the rebuild compares them)."""
    return f"ORG#{org_id}#STATS"


def stats_entry(scope: str, period: str) -> str:
    return f"{scope}#{period}"


# A conversation's first inbound message: in the lead's partition (read with the lead: it sorts
# between its history and its objections), or in the account's partition when it has no lead.
LEAD_INQUIRY = "INQUIRY"
ACCOUNT_INQUIRY = "#INQUIRY"


def person_inquiries(org_id: str, account_id: str) -> str:
    """GSI2 partition of one person's inquiries by time (repeats within 24 hours collapse)."""
    return f"ORG#{org_id}#PERSON#{account_id}#INQUIRIES"


def inquiry_key(org_id: str, account_id: str, lead_id: str | None) -> tuple[str, str]:
    if lead_id:
        return lead(org_id, lead_id), LEAD_INQUIRY
    return account(org_id, account_id), ACCOUNT_INQUIRY


def interaction_lookup(org_id: str, interaction_id: str) -> str:
    """GSI3 partition that finds an interaction by id (``PATCH /interactions/{id}``)."""
    return f"ORG#{org_id}#INTERACTION#{interaction_id}"


INTERACTION_LOOKUP_SK = "I"
QUOTE_CHANGE_PREFIX = "HISTV#"  # sorts after HIST#… and before INQUIRY/OBJ#…: read with the lead


def quote_change(at: datetime, seq: int) -> str:
    return f"{QUOTE_CHANGE_PREFIX}{moment(at)}#{seq:08d}"


def team_reps(org_id: str, team: str) -> str:
    """GSI2 partition of the reps in one team."""
    return f"ORG#{org_id}#TEAM#{team}"
