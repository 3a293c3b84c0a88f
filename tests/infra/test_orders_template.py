"""Infra for orders: the generated confirmation secret, and the rights of the ladder job."""

from __future__ import annotations

from chalicelib import resources
from tests.infra.conftest import Template
from tests.infra.test_template import grants, ref_id


def test_the_confirmation_secret_is_generated_and_named_to_its_readers(dev: Template) -> None:
    secret_id, secret = dev.one("AWS::SecretsManager::Secret")
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert secret["Properties"]["Name"] == resources.messaging_secret_name("dev")
    for function in ("APIHandler", "ConfirmationLadder", "FollowUps"):
        variables = dev.resources[function]["Properties"]["Environment"]["Variables"]
        assert ref_id(variables[resources.ENV_CONFIRM_SECRET_ARN]) == secret_id
        assert "TAWASUL_CONFIRM_SECRET" not in variables  # never the key itself
    # The API reads it by reference; a job through its declared right (Right.READ_MESSAGING_SECRET),
    # on the secret's name (Secrets Manager appends six characters to the ARN).
    assert secret_id in grants(dev, "APIHandler")["secretsmanager:GetSecretValue"]
    for job in ("ConfirmationLadder", "FollowUps"):
        readable = grants(dev, job)["secretsmanager:GetSecretValue"]
        assert any(resources.messaging_secret_name("dev") + "-??????" in str(r) for r in readable), job
    assert (
        resources.ENV_CONFIRM_SECRET_ARN
        not in (dev.resources["ResumeStalledImports"]["Properties"]["Environment"]["Variables"])
    )


def test_only_the_sending_jobs_may_send_messages(dev: Template) -> None:
    for job in ("ConfirmationLadder", "FollowUps"):
        granted = grants(dev, job)
        for action in ("ses:SendEmail", "sns:Publish", "social-messaging:SendWhatsAppMessage"):
            assert action in granted, (job, action)
    for function in ("APIHandler", "ResumeStalledImports", "ImportWorker"):
        granted = grants(dev, function)
        assert not any(a.startswith(("ses:", "social-messaging:")) or a == "sns:Publish" for a in granted), function
