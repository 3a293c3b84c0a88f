"""The one definition of Tawasul's DynamoDB tables.

The local stack, the tests and the CDK stack in ``infra/`` all build their tables from
``TABLES``; a test proves the synthesised CloudFormation template matches it. Keep this module
free of boto3 and PynamoDB imports so ``infra/`` can import it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Logical names; the physical names come from the environment (see chalicelib.config).
MAIN = "main"
IDEMPOTENCY = "idempotency"

PK = "pk"
SK = "sk"
GSI1 = "gsi1"  # organisation-wide lists of one kind, newest first
GSI2 = "gsi2"  # per-owner lists ("my accounts", "my leads")
GSI3 = "gsi3"  # filtered lists and look-ups (stage/status, name prefixes, due jobs)
TTL_ATTRIBUTE = "expires_at"


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str


@dataclass(frozen=True)
class Table:
    logical_name: str
    hash_key: str
    range_key: str | None
    ttl_attribute: str | None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    stream: bool = False

    def attribute_definitions(self) -> list[dict[str, str]]:
        names = [self.hash_key] + ([self.range_key] if self.range_key else [])
        for index in self.indexes:
            names += [index.hash_key, index.range_key]
        return [{"AttributeName": n, "AttributeType": "S"} for n in dict.fromkeys(names)]

    def key_schema(self) -> list[dict[str, str]]:
        keys = [{"AttributeName": self.hash_key, "KeyType": "HASH"}]
        if self.range_key:
            keys.append({"AttributeName": self.range_key, "KeyType": "RANGE"})
        return keys

    def create_table_kwargs(self, physical_name: str) -> dict[str, Any]:
        """Arguments for boto3 ``create_table``: on-demand, every index projecting everything."""
        kwargs: dict[str, Any] = {
            "TableName": physical_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": self.attribute_definitions(),
            "KeySchema": self.key_schema(),
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": [
                        {"AttributeName": index.hash_key, "KeyType": "HASH"},
                        {"AttributeName": index.range_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.indexes
            ]
        if self.stream:
            kwargs["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            }
        return kwargs


MAIN_TABLE = Table(
    logical_name=MAIN,
    hash_key=PK,
    range_key=SK,
    ttl_attribute=TTL_ATTRIBUTE,
    indexes=(
        Index(GSI1, "gsi1pk", "gsi1sk"),
        Index(GSI2, "gsi2pk", "gsi2sk"),
        Index(GSI3, "gsi3pk", "gsi3sk"),
    ),
    stream=True,
)

# Powertools' idempotency records: its default key ``id`` and expiry attribute ``expiration``.
IDEMPOTENCY_TABLE = Table(
    logical_name=IDEMPOTENCY,
    hash_key="id",
    range_key=None,
    ttl_attribute="expiration",
)

TABLES: tuple[Table, ...] = (MAIN_TABLE, IDEMPOTENCY_TABLE)
