"""Infra for orders: the generated confirmation secret, and the rights of the ladder job."""

from __future__ import annotations

from chalicelib import resources
from tests.infra.conftest import Template
from tests.infra.test_template import grants, ref_id


def test_the_confirmation_secret_is_generated_and_named_to_its_readers(dev: Template) -> None:
    secret_id, secret = dev.one("AWS::SecretsManager::Secret")
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    for function in ("APIHandler", "ConfirmationLadder"):
        variables = dev.resources[function]["Properties"]["Environment"]["Variables"]
        assert ref_id(variables[resources.ENV_CONFIRM_SECRET_ARN]) == secret_id
        assert secret_id in grants(dev, function)["secretsmanager:GetSecretValue"]
        assert "TAWASUL_CONFIRM_SECRET" not in variables  # never the key itself
    assert resources.ENV_CONFIRM_SECRET_ARN not in (
        dev.resources["ResumeStalledImports"]["Properties"]["Environment"]["Variables"]
    )


def test_only_the_ladder_job_may_send_messages(dev: Template) -> None:
    ladder = grants(dev, "ConfirmationLadder")
    for action in ("ses:SendEmail", "sns:Publish", "social-messaging:SendWhatsAppMessage"):
        assert action in ladder
    for function in ("APIHandler", "ResumeStalledImports", "ImportWorker"):
        granted = grants(dev, function)
        assert not any(a.startswith(("ses:", "social-messaging:")) or a == "sns:Publish" for a in granted), function
