"""CSV uploads: a private bucket that accepts presigned PUTs, and the queue that carries its
``ObjectCreated`` events to the import worker (with a dead-letter queue)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVES = 3
DEFAULT_VISIBILITY = Duration.minutes(6)  # six times the default function timeout of 60 s


class Uploads(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        queue_name: str,
        prefix: str,
        allowed_origins: Sequence[str],
        expire_after: Duration,
        protect: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        self.queue_name = queue_name
        self.dead_letters = sqs.Queue(
            self,
            "ImportDeadLetters",
            queue_name=f"{queue_name}-dlq",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.queue = sqs.Queue(
            self,
            "ImportQueue",
            queue_name=queue_name,  # Chalice's on_sqs_message names the queue, not its ARN
            visibility_timeout=DEFAULT_VISIBILITY,
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=self.dead_letters),
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT],
                    allowed_origins=list(allowed_origins),
                    allowed_headers=["*"],
                    exposed_headers=["ETag"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireUploads", prefix=prefix, expiration=expire_after),
                s3.LifecycleRule(id="AbortIncompleteUploads", abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
        # S3 -> SQS without CDK's notification custom resource (an extra Lambda with a `*` policy):
        # the queue policy names the bucket by its fixed name, so the bucket can depend on the
        # policy (S3 tests the destination when the configuration is saved) without a cycle.
        bucket_arn = f"arn:{Aws.PARTITION}:s3:::{bucket_name}"
        self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3UploadEvents",
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.queue.queue_arn],
                conditions={
                    "ArnEquals": {"aws:SourceArn": bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.add_property_override(
            "NotificationConfiguration.QueueConfigurations",
            [
                {
                    "Event": "s3:ObjectCreated:*",
                    "Queue": self.queue.queue_arn,
                    "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": prefix}]}},
                }
            ],
        )
        self.bucket.node.add_dependency(self.queue.node.find_child("Policy"))

    def fit_consumer_timeout(self, function_timeout_seconds: int) -> None:
        """AWS's rule for Lambda consumers: visibility timeout at least six times the function's."""
        cfn_queue = self.queue.node.default_child
        assert isinstance(cfn_queue, sqs.CfnQueue)
        cfn_queue.visibility_timeout = max(DEFAULT_VISIBILITY.to_seconds(), 6 * function_timeout_seconds)

    def grant_upload(self, grantee: iam.IGrantable) -> None:
        """What a presigned PUT URL needs from its signer: PutObject under the prefix."""
        self.bucket.grant_put(grantee, f"{self.prefix}*")

    def grant_consume(self, grantee: iam.IGrantable) -> None:
        """The import worker: its queue (it also queues its own continuations), the uploads it
        reads, and deleting an upload it refuses (over the size limit)."""
        self.queue.grant_consume_messages(grantee)
        self.queue.grant_send_messages(grantee)
        self.bucket.grant_read(grantee, f"{self.prefix}*")
        self.bucket.grant_delete(grantee, f"{self.prefix}*")

    def grant_resume(self, grantee: iam.IGrantable) -> None:
        """A scheduled job that resumes stalled imports: it queues continuations for the worker."""
        self.queue.grant_send_messages(grantee)
