"""Tawasul's stack: composes the constructs and grants each function what it uses."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from chalicelib import resources
from chalicelib.jobs import JOBS, Right
from chalicelib.persistence import schema

from .api import Api, Function
from .database import Database
from .monitoring import Monitoring
from .rights import grant as grant_rights
from .uploads import Uploads
from .users import Users


@dataclass(frozen=True)
class StackSettings:
    stage: str
    source_dir: Path
    protect: bool  # deletion protection and retained data (prod)
    allowed_origins: tuple[str, ...]  # CORS origins allowed to PUT presigned uploads
    upload_expiry_days: int
    log_retention: logs.RetentionDays
    alarm_email: str | None
    public_base_url: str | None  # e.g. a custom domain; defaults to the API Gateway URL

    @property
    def cors_origin(self) -> str:
        """The one origin API Gateway's CORS answers may name (Chalice takes one): the front end's
        when a single origin is configured, else any."""
        return self.allowed_origins[0] if len(self.allowed_origins) == 1 else "*"

    @classmethod
    def from_context(cls, app: cdk.App, *, stage: str, source_dir: Path) -> StackSettings:
        def context(name: str, default: str | None = None) -> str | None:
            value = app.node.try_get_context(f"{stage}:{name}") or app.node.try_get_context(name)
            return str(value) if value else default

        is_prod = stage == "prod"
        return cls(
            stage=stage,
            source_dir=source_dir,
            protect=is_prod,
            allowed_origins=tuple(str(context("allowed_origins", "*")).split(",")),
            upload_expiry_days=int(str(context("upload_expiry_days", "7"))),
            log_retention=logs.RetentionDays.THREE_MONTHS if is_prod else logs.RetentionDays.TWO_WEEKS,
            alarm_email=context("alarm_email"),
            public_base_url=context("public_base_url"),
        )


def public_routes() -> frozenset[tuple[str, str]]:
    """(method, path) of every route the app declares public, read from the app the Chalice
    construct has just loaded (``endpoint(..., public=True)`` in chalicelib/api)."""
    http = sys.modules.get("chalicelib.api.http")
    if http is None:  # an app that does not use chalicelib's endpoint decorator
        return frozenset()
    return frozenset((spec.method.upper(), spec.path) for spec in http.ROUTES if spec.public)


def job_rights() -> dict[str, frozenset[Right]]:
    """Logical id of each scheduled job's function -> the rights the job declares (``JOBS`` in
    chalicelib/jobs, the list app.py schedules)."""
    from chalice.utils import to_cfn_resource_name

    return {to_cfn_resource_name(job.name): job.rights for job in JOBS.values()}


class TawasulStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StackSettings, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        stage = settings.stage
        cdk.Tags.of(self).add("app", "tawasul")
        cdk.Tags.of(self).add("stage", stage)

        database = Database(
            self,
            "Database",
            tables=schema.TABLES,
            physical_names={
                schema.MAIN: resources.table_name(stage),
                schema.IDEMPOTENCY: resources.idempotency_table_name(stage),
            },
            protect=settings.protect,
        )
        users = self._users(settings)
        uploads = Uploads(
            self,
            "Uploads",
            bucket_name=f"tawasul-{stage}-uploads-{Aws.ACCOUNT_ID}-{Aws.REGION}",
            queue_name=resources.import_queue_name(stage),
            prefix=resources.UPLOADS_PREFIX,
            allowed_origins=settings.allowed_origins,
            expire_after=Duration.days(settings.upload_expiry_days),
            protect=settings.protect,
        )
        environment = {
            resources.ENV_STAGE: stage,
            resources.ENV_TABLE: database.tables[schema.MAIN].table_name,
            resources.ENV_IDEMPOTENCY_TABLE: database.tables[schema.IDEMPOTENCY].table_name,
            resources.ENV_UPLOADS_BUCKET: uploads.bucket.bucket_name,
            # A plain name, not a token: app.py reads it at import to declare the SQS handler.
            resources.ENV_IMPORT_QUEUE: uploads.queue_name,
            resources.ENV_CORS_ORIGIN: settings.cors_origin,
            resources.ENV_COGNITO_USER_POOL_ID: users.user_pool.user_pool_id,
            resources.ENV_COGNITO_CLIENT_ID: users.client.user_pool_client_id,
        }
        if settings.public_base_url:
            environment[resources.ENV_PUBLIC_BASE_URL] = settings.public_base_url
        api = Api(
            self,
            "Api",
            source_dir=settings.source_dir,
            stage=stage,
            environment=environment,
            log_retention=settings.log_retention,
            cors_origin=settings.cors_origin,
        )
        api.require_user_pool(user_pool_arn=users.user_pool.user_pool_arn, public_routes=public_routes())

        # The key that signs order-confirmation links: generated here under the stage's messaging
        # secret name (Right.READ_MESSAGING_SECRET grants jobs that name), read by the functions
        # at run time (TAWASUL_CONFIRM_SECRET_ARN, cached), never written into the template.
        confirm_secret = secretsmanager.Secret(
            self,
            "ConfirmSecret",
            secret_name=resources.messaging_secret_name(stage),
            description=f"Tawasul {stage}: HMAC key of order-confirmation links",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=48, exclude_punctuation=True),
            removal_policy=cdk.RemovalPolicy.RETAIN if settings.protect else cdk.RemovalPolicy.DESTROY,
        )
        rights = job_rights()
        for function in api.functions:
            self._grant(function, stage=stage, database=database, uploads=uploads, rights=rights)
            if function.kind == "api":
                confirm_secret.grant_read(function.role)
            if function.kind == "api" or Right.READ_MESSAGING_SECRET in rights.get(function.logical_id, ()):
                api.set_environment(function, resources.ENV_CONFIRM_SECRET_ARN, confirm_secret.secret_arn)
            if not settings.public_base_url and api.has_rest_api and function.kind != "api":
                # Links in scheduled messages point at the API; the API handler itself cannot
                # reference the API it belongs to (a cycle), and reads it from each request.
                api.set_environment(function, resources.ENV_PUBLIC_BASE_URL, api.rest_api_url)

        Monitoring(
            self,
            "Monitoring",
            functions={f.logical_id: api.function_name(f) for f in api.functions},
            dead_letter_queues={
                "ImportDeadLetters": uploads.dead_letters,
                **{f"{f.logical_id}DeadLetters": f.dead_letters for f in api.functions if f.dead_letters},
            },
            work_queues={"ImportQueue": uploads.queue},
            api_name=api.api_name if api.has_rest_api else None,
            alarm_email=settings.alarm_email,
        )

        CfnOutput(self, "UserPoolId", value=users.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=users.client.user_pool_client_id)
        CfnOutput(self, "TableName", value=database.tables[schema.MAIN].table_name)
        CfnOutput(self, "UploadsBucket", value=uploads.bucket.bucket_name)
        CfnOutput(self, "ImportQueueUrl", value=uploads.queue.queue_url)

    def _users(self, settings: StackSettings) -> Users:
        return Users(
            self,
            "Users",
            pool_name=f"tawasul-{settings.stage}",
            org_attribute=resources.COGNITO_ORG_ATTRIBUTE,
            groups=resources.COGNITO_GROUPS,
            protect=settings.protect,
        )

    @staticmethod
    def _grant(
        function: Function, *, stage: str, database: Database, uploads: Uploads, rights: dict[str, frozenset[Right]]
    ) -> None:
        """Least privilege per kind of function: every function works on the main table; the API
        also keeps idempotency records, signs upload URLs and queues account erasures on the work
        queue; the import worker reads uploads
        from its queue; a scheduled job gets the rights it declares in chalicelib/jobs."""
        database.grant_items(function.role, schema.MAIN)
        if function.kind == "api":
            database.grant_items(function.role, schema.IDEMPOTENCY)
            uploads.grant_upload(function.role)
            uploads.grant_resume(function.role)  # DELETE /accounts/{id} queues the erasure
        if function.kind == "queue":
            unknown = set(function.queue_names) - {uploads.queue_name}
            if unknown:
                raise ValueError(f"{function.logical_id} consumes queues the stack does not define: {unknown}")
            uploads.grant_consume(function.role)
            uploads.fit_consumer_timeout(function.timeout_seconds)
        if function.kind == "async":
            grant_rights(function.role, rights.get(function.logical_id, ()), stage=stage, uploads=uploads)
