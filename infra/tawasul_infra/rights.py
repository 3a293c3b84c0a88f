"""What each job right (``chalicelib.jobs.Right``) grants: the one mapping from a job's declared
needs to IAM. Every job's role already works on the main table; these come on top."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from chalicelib import resources
from chalicelib.jobs import Right

from .uploads import Uploads


def _statement(actions: list[str], resources_: list[str]) -> Callable[[iam.IGrantable], None]:
    def grant(grantee: iam.IGrantable) -> None:
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources_))

    return grant


def grants(*, stage: str, uploads: Uploads) -> dict[Right, Callable[[iam.IGrantable], None]]:
    """Right -> a function granting it to a role, for one stage's resources."""
    account, region = Aws.ACCOUNT_ID, Aws.REGION
    return {
        Right.SEND_IMPORT_QUEUE: uploads.grant_resume,
        Right.SEND_EMAIL: _statement(
            ["ses:SendEmail", "ses:SendRawEmail"],
            [f"arn:aws:ses:{region}:{account}:identity/*", f"arn:aws:ses:{region}:{account}:configuration-set/*"],
        ),
        # SMS to a phone number has no topic to name: SNS only accepts "*" for direct publishing.
        Right.PUBLISH_SMS: _statement(["sns:Publish"], ["*"]),
        Right.SEND_WHATSAPP: _statement(
            ["social-messaging:SendWhatsAppMessage"],
            [f"arn:aws:social-messaging:{region}:{account}:phone-number-id/*"],
        ),
        # Secrets Manager appends six random characters to a secret's ARN.
        Right.READ_MESSAGING_SECRET: _statement(
            ["secretsmanager:GetSecretValue"],
            [f"arn:aws:secretsmanager:{region}:{account}:secret:{resources.messaging_secret_name(stage)}-??????"],
        ),
    }


def grant(grantee: iam.IGrantable, rights: Iterable[Right], *, stage: str, uploads: Uploads) -> None:
    mapping = grants(stage=stage, uploads=uploads)
    for right in sorted(set(rights)):
        mapping[right](grantee)
