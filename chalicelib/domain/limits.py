"""Size limits shared by the API, the CSV import and merges, defined once.

The API refuses a request over a limit (422); the CSV import keeps what fits and reports the rest.
"""

from __future__ import annotations

MAX_CONTACTS = 10  # e-mails, and phones, per account
MAX_TAGS = 50  # tags per account
MAX_TAG_LENGTH = 50
MAX_CUSTOM_FIELDS = 100  # custom fields per account or lead
MAX_CUSTOM_FIELD_NAME = 100
MAX_CUSTOM_FIELD_VALUE = 1000

DEFAULT_PAGE_SIZE = 50  # every list's ``limit`` when none is sent
MAX_PAGE_SIZE = 200
