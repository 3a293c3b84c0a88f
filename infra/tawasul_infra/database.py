"""DynamoDB tables built from the one schema definition in chalicelib.persistence.schema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from chalicelib.persistence import schema

# What a Lambda function may do with the items of a table. No Scan: lists are queries on an
# index, so a Scan in a request path fails in the cloud as loudly as it does in review.
ITEM_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
INDEX_ACTIONS = ("dynamodb:Query",)


def _key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Database(Construct):
    """One on-demand table per ``schema.Table``: its keys, every index, stream, TTL and PITR."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tables: Sequence[schema.Table],
        physical_names: Mapping[str, str],
        protect: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.definitions = {t.logical_name: t for t in tables}
        self.tables: dict[str, dynamodb.Table] = {}
        for definition in tables:
            table = dynamodb.Table(
                self,
                f"{definition.logical_name.title()}Table",
                table_name=physical_names[definition.logical_name],
                partition_key=_key(definition.hash_key),
                sort_key=_key(definition.range_key) if definition.range_key else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                time_to_live_attribute=definition.ttl_attribute,
                stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if definition.stream else None,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                deletion_protection=protect,
                removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
            )
            for index in definition.indexes:
                table.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_key(index.hash_key),
                    sort_key=_key(index.range_key),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
            self.tables[definition.logical_name] = table

    def grant_items(self, grantee: iam.IGrantable, logical_name: str) -> None:
        """Item reads and writes on one table, and queries on each of its indexes by name."""
        table = self.tables[logical_name]
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(ITEM_ACTIONS), resources=[table.table_arn])
        )
        indexes = self.definitions[logical_name].indexes
        if indexes:
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=list(INDEX_ACTIONS),
                    resources=[f"{table.table_arn}/index/{index.name}" for index in indexes],
                )
            )
