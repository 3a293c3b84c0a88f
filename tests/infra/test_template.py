"""Assertions on the synthesised CloudFormation templates (see conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.persistence.schema import IDEMPOTENCY, MAIN, TABLES
from tests.infra.conftest import ROOT, Template

PHYSICAL = {MAIN: resources.table_name, IDEMPOTENCY: resources.idempotency_table_name}
ALWAYS_PUBLIC = {("GET", "/health"), ("GET", "/openapi.json"), ("GET", "/orders/{id}/confirm")}


def table(template: Template, name: str) -> dict[str, Any]:
    found = [r for r in template.of_type("AWS::DynamoDB::Table").values() if r["Properties"]["TableName"] == name]
    assert len(found) == 1, name
    return found[0]


def ref_id(value: Any) -> str:
    """The logical id behind a Ref or GetAtt."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- DynamoDB ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", resources.CLOUD_STAGES)
@pytest.mark.parametrize("definition", TABLES, ids=lambda t: t.logical_name)
def test_tables_match_the_schema_the_code_uses(stacks: dict[str, Template], stage: str, definition: Any) -> None:
    name = PHYSICAL[definition.logical_name](stage)
    expected = definition.create_table_kwargs(name)
    props = table(stacks[stage], name)["Properties"]

    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    assert indexes == {i["IndexName"]: i for i in expected.get("GlobalSecondaryIndexes", [])}
    assert props.get("StreamSpecification", {}).get("StreamViewType") == expected.get("StreamSpecification", {}).get(
        "StreamViewType"
    )
    assert props["TimeToLiveSpecification"] == {"AttributeName": definition.ttl_attribute, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_main_table_has_a_stream_and_the_three_indexes(dev: Template) -> None:
    props = table(dev, resources.table_name("dev"))["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert {i["IndexName"] for i in props["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3"}
    assert props["TimeToLiveSpecification"]["AttributeName"] == "expires_at"


def test_prod_data_is_protected_and_dev_data_is_not(stacks: dict[str, Template]) -> None:
    for definition in TABLES:
        prod = table(stacks["prod"], PHYSICAL[definition.logical_name]("prod"))
        dev = table(stacks["dev"], PHYSICAL[definition.logical_name]("dev"))
        assert prod["Properties"]["DeletionProtectionEnabled"] is True
        assert prod["DeletionPolicy"] == "Retain"
        assert dev["Properties"].get("DeletionProtectionEnabled", False) is False
        assert dev["DeletionPolicy"] == "Delete"
    _, pool = stacks["prod"].one("AWS::Cognito::UserPool")
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


# --- IAM --------------------------------------------------------------------------------------


def test_no_dynamodb_statement_uses_a_wildcard_resource(stacks: dict[str, Template], fixture_stack: Template) -> None:
    checked = 0
    for template in [*stacks.values(), fixture_stack]:
        for policy, statement in template.statements():
            actions = as_list(statement["Action"])
            if not any(a.startswith("dynamodb:") for a in actions):
                continue
            checked += 1
            assert "dynamodb:*" not in actions and "dynamodb:Scan" not in actions, (policy, actions)
            for resource in as_list(statement["Resource"]):
                assert resource != "*", policy
                assert "*" not in json.dumps(resource), (policy, resource)
    assert checked >= 6  # the API handler (main, indexes, idempotency) in two stages, at least


def test_index_permissions_name_every_index_explicitly(dev: Template) -> None:
    main_id = next(
        k for k, v in dev.of_type("AWS::DynamoDB::Table").items() if v["Properties"]["TableName"] == "tawasul-dev"
    )
    index_statements = [
        s for _, s in dev.statements() if as_list(s["Action"]) == ["dynamodb:Query"] and isinstance(s["Resource"], list)
    ]
    assert index_statements
    for statement in index_statements:
        suffixes = sorted(r["Fn::Join"][1][1] for r in statement["Resource"])
        assert suffixes == ["/index/gsi1", "/index/gsi2", "/index/gsi3"]
        assert all(r["Fn::Join"][1][0] == {"Fn::GetAtt": [main_id, "Arn"]} for r in statement["Resource"])


def test_every_function_has_its_own_role_and_chalice_makes_none(fixture_stack: Template) -> None:
    functions = fixture_stack.of_type("AWS::Serverless::Function")
    assert set(functions) == {"APIHandler", "EveryFiveMinutes", "ImportWorker"}
    roles = {name: ref_id(f["Properties"]["Role"]) for name, f in functions.items()}
    assert len(set(roles.values())) == len(roles)
    assert all(fixture_stack.resources[r]["Type"] == "AWS::IAM::Role" for r in roles.values())
    assert "DefaultRole" not in fixture_stack.resources


def grants(template: Template, function: str) -> dict[str, set[str]]:
    """action -> logical ids of resources it is granted on, for one function's role."""
    role = ref_id(template.resources[function]["Properties"]["Role"])
    found: dict[str, set[str]] = {}
    for policy, statement in template.statements():
        if {"Ref": role} not in template.resources[policy]["Properties"]["Roles"]:
            continue
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                text = json.dumps(resource)
                ids = {k for k in template.resources if f'"{k}"' in text} or {text}
                found.setdefault(action, set()).update(ids)
    return found


def test_roles_get_only_what_their_function_uses(fixture_stack: Template) -> None:
    tables = {v["Properties"]["TableName"]: k for k, v in fixture_stack.of_type("AWS::DynamoDB::Table").items()}
    main, idempotency = tables["tawasul-dev"], tables["tawasul-dev-idempotency"]
    bucket, _ = fixture_stack.one("AWS::S3::Bucket")
    queue = next(
        k
        for k, v in fixture_stack.of_type("AWS::SQS::Queue").items()
        if v["Properties"].get("QueueName") == resources.import_queue_name("dev")
    )

    api = grants(fixture_stack, "APIHandler")
    assert api["dynamodb:PutItem"] == {main, idempotency}
    assert api["s3:PutObject"] == {bucket}
    assert "sqs:ReceiveMessage" not in api and "s3:GetObject*" not in api
    assert api["sqs:SendMessage"] == {queue}  # DELETE /accounts/{id} queues the erasure

    job = grants(fixture_stack, "EveryFiveMinutes")
    assert job["dynamodb:PutItem"] == {main}
    assert not any(a.startswith("s3:") for a in job)
    assert queue not in job.get("sqs:SendMessage", set())  # a job that does not declare Right.SEND_IMPORT_QUEUE

    worker = grants(fixture_stack, "ImportWorker")
    assert worker["sqs:ReceiveMessage"] == {queue}
    assert worker["sqs:SendMessage"] == {queue}  # it queues its own continuations
    assert worker["s3:GetObject*"] == {bucket}
    assert worker["s3:DeleteObject*"] == {bucket}  # an upload over the size limit is deleted
    assert "s3:PutObject" not in worker
    assert worker["dynamodb:PutItem"] == {main}  # it keeps no idempotency records


def test_the_job_that_resumes_stalled_imports_may_queue_continuations(dev: Template) -> None:
    bucket, _ = dev.one("AWS::S3::Bucket")
    queue = next(
        k
        for k, v in dev.of_type("AWS::SQS::Queue").items()
        if v["Properties"].get("QueueName") == resources.import_queue_name("dev")
    )
    sweeper = grants(dev, "ResumeStalledImports")
    assert queue in sweeper["sqs:SendMessage"]  # (and its own DLQ)
    assert not any(action.startswith("s3:") for action in sweeper), bucket  # the worker reads the file
    erasures = grants(dev, "ResumeErasures")
    assert queue in erasures["sqs:SendMessage"]  # unfinished erasures go back to the worker
    assert not any(action.startswith("s3:") for action in erasures)


# --- API and Cognito --------------------------------------------------------------------------


def test_user_pool_carries_the_organisation_and_the_role_groups(dev: Template) -> None:
    _, pool = dev.one("AWS::Cognito::UserPool")
    org = next(a for a in pool["Properties"]["Schema"] if a["Name"] == resources.COGNITO_ORG_ATTRIBUTE)
    assert org["AttributeDataType"] == "String" and org["Mutable"] is False
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    groups = {g["Properties"]["GroupName"] for g in dev.of_type("AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(resources.COGNITO_GROUPS)
    _, client = dev.one("AWS::Cognito::UserPoolClient")
    assert "custom:org" in client["Properties"]["ReadAttributes"]
    assert "custom:org" not in client["Properties"]["WriteAttributes"]  # users cannot change tenant
    # no hosted UI, hence no OAuth flows (CDK's defaults enable the implicit grant to example.com)
    assert not client["Properties"].get("AllowedOAuthFlowsUserPoolClient")
    assert "CallbackURLs" not in client["Properties"] and "AllowedOAuthFlows" not in client["Properties"]


def test_the_api_is_throttled_and_keeps_no_billed_per_method_metrics(dev: Template) -> None:
    _, api = dev.one("AWS::Serverless::Api")
    settings = api["Properties"]["MethodSettings"]
    assert all(s.get("ThrottlingRateLimit") and s.get("ThrottlingBurstLimit") for s in settings)
    assert not any(s.get("MetricsEnabled") for s in settings)  # ~7 custom metrics per route, billed


def test_every_private_route_requires_the_cognito_authorizer(dev: Template) -> None:
    import app  # noqa: F401  (registers the routes)
    from chalicelib.api.http import ROUTES

    pool_id, _ = dev.one("AWS::Cognito::UserPool")
    body = dev.resources["RestAPI"]["Properties"]["DefinitionBody"]
    ((name, scheme),) = body["securityDefinitions"].items()
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [{"Fn::GetAtt": [pool_id, "Arn"]}]

    operations = {(m.upper(), p): op for p, methods in body["paths"].items() for m, op in methods.items()}
    public = {(spec.method, spec.path) for spec in ROUTES if spec.public}
    assert {("GET", "/health"), ("GET", "/openapi.json")} <= public
    assert ALWAYS_PUBLIC & set(operations) <= public  # the contract's public routes stay public
    for key, operation in operations.items():
        if key in public or key[0] == "OPTIONS":
            assert "security" not in operation, key
        else:
            assert operation["security"] == [{name: []}], key
    assert len(operations) > len(public)  # the API has private routes, and they are protected


def test_browsers_get_preflights_and_cors_on_gateway_refusals(dev: Template) -> None:
    body = dev.resources["RestAPI"]["Properties"]["DefinitionBody"]
    private = [p for p, methods in body["paths"].items() if any("security" in op for op in methods.values())]
    assert private and all("options" in body["paths"][p] for p in private)  # a preflight beside each
    responses = dev.resources["RestAPI"]["Properties"]["GatewayResponses"]
    assert {r["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] for r in responses.values()} == {"'*'"}


def test_api_gateways_own_refusals_are_problem_json_and_an_unknown_path_is_a_404(dev: Template) -> None:
    from chalicelib.api.problems import PROBLEM_JSON, problem_type

    responses = dev.resources["RestAPI"]["Properties"]["GatewayResponses"]
    assert {"MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "THROTTLED"} <= set(responses)
    for name, response in responses.items():
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == f"'{PROBLEM_JSON}'", name
        template = response["ResponseTemplates"]["application/json"]
        if name.startswith("DEFAULT_"):
            # A status set here would become every 4XX/5XX's: the fallbacks keep the original one.
            assert "StatusCode" not in response, name
            body = json.loads(template.replace("$context.error.messageString", '"message"'))
            assert body["detail"] == "message"
        else:
            body = json.loads(template)
            assert body["status"] == int(response["StatusCode"]), name
        assert body["type"].startswith(problem_type("")) and body["title"], name
    missing = json.loads(responses["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"]["application/json"])
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert missing["type"] == problem_type("not-found") and missing["status"] == 404
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"


def test_functions_get_the_resource_names_the_code_reads(dev: Template) -> None:
    pool_id, _ = dev.one("AWS::Cognito::UserPool")
    client_id, _ = dev.one("AWS::Cognito::UserPoolClient")
    bucket_id, _ = dev.one("AWS::S3::Bucket")
    variables = dev.resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    tables = {k: v["Properties"]["TableName"] for k, v in dev.of_type("AWS::DynamoDB::Table").items()}
    assert tables[ref_id(variables[resources.ENV_TABLE])] == "tawasul-dev"
    assert tables[ref_id(variables[resources.ENV_IDEMPOTENCY_TABLE])] == "tawasul-dev-idempotency"
    assert ref_id(variables[resources.ENV_UPLOADS_BUCKET]) == bucket_id
    assert ref_id(variables[resources.ENV_COGNITO_USER_POOL_ID]) == pool_id
    assert ref_id(variables[resources.ENV_COGNITO_CLIENT_ID]) == client_id
    assert variables[resources.ENV_STAGE] == "dev"
    assert "TAWASUL_JWT_SECRET" not in variables  # local only


def test_import_queue_name_agrees_with_chalice_config() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in resources.CLOUD_STAGES:
        variables = config["stages"][stage]["environment_variables"]
        assert variables[resources.ENV_IMPORT_QUEUE] == resources.import_queue_name(stage)


def test_each_stage_of_the_real_app_consumes_its_own_import_queue(stacks: dict[str, Template]) -> None:
    """Both stages are synthesised in one process: the second must not inherit the first's queue."""
    for stage, template in stacks.items():
        worker = template.resources["ImportWorker"]["Properties"]
        (event,) = worker["Events"].values()
        assert event["Properties"]["Queue"]["Fn::Sub"].endswith(":" + resources.import_queue_name(stage))
        assert worker["Timeout"] == 300  # .chalice/config.json: the worker outlives API Gateway's 29 s
        queue = next(
            q
            for q in template.of_type("AWS::SQS::Queue").values()
            if q["Properties"].get("QueueName") == resources.import_queue_name(stage)
        )
        assert queue["Properties"]["VisibilityTimeout"] >= 6 * worker["Timeout"]


# --- uploads, queues, dead letters, alarms ----------------------------------------------------


def test_uploads_bucket_is_private_encrypted_and_feeds_the_import_queue(dev: Template) -> None:
    _, bucket = dev.one("AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["PUT"]
    expiring = [r for r in props["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert expiring and expiring[0]["Prefix"] == resources.UPLOADS_PREFIX
    (notification,) = props["NotificationConfiguration"]["QueueConfigurations"]
    queue = dev.resources[ref_id(notification["Queue"])]
    assert queue["Properties"]["QueueName"] == resources.import_queue_name("dev")
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": resources.UPLOADS_PREFIX}]
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] >= 1
    # S3 may send to the queue, and only from this bucket.
    queue_ref = [{"Ref": ref_id(notification["Queue"])}]
    policies = [p for p in dev.of_type("AWS::SQS::QueuePolicy").values() if p["Properties"]["Queues"] == queue_ref]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    s3_statement = next(s for s in statements if s.get("Principal") == {"Service": "s3.amazonaws.com"})
    assert "aws:SourceArn" in s3_statement["Condition"]["ArnEquals"]


def test_async_functions_have_dead_letter_queues(fixture_stack: Template) -> None:
    job = fixture_stack.resources["EveryFiveMinutes"]["Properties"]
    dlq = ref_id(job["DeadLetterQueue"]["TargetArn"])
    assert job["DeadLetterQueue"]["Type"] == "SQS" and fixture_stack.resources[dlq]["Type"] == "AWS::SQS::Queue"
    (event,) = job["Events"].values()
    assert event["Type"] == "Schedule"
    assert ref_id(event["Properties"]["DeadLetterConfig"]["Arn"]) == dlq
    assert "sqs:SendMessage" in grants(fixture_stack, "EveryFiveMinutes")


def test_import_queue_outlives_the_worker_timeout(fixture_stack: Template) -> None:
    worker = fixture_stack.resources["ImportWorker"]["Properties"]
    (event,) = worker["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["BatchSize"] == 1
    assert event["Properties"]["Queue"]["Fn::Sub"].endswith(":" + resources.import_queue_name("dev"))
    queue = next(
        q
        for q in fixture_stack.of_type("AWS::SQS::Queue").values()
        if q["Properties"].get("QueueName") == resources.import_queue_name("dev")
    )
    assert worker["Timeout"] == 120
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * worker["Timeout"]


def test_alarms_cover_every_function_and_every_dead_letter_queue(
    stacks: dict[str, Template], fixture_stack: Template
) -> None:
    for template in [*stacks.values(), fixture_stack]:
        alarms = template.of_type("AWS::CloudWatch::Alarm").values()
        watched = {
            (a["Properties"]["MetricName"], ref_id(d["Value"]))
            for a in alarms
            for d in a["Properties"].get("Dimensions", [])
            if isinstance(d["Value"], dict)
        }
        for name in template.of_type("AWS::Serverless::Function"):
            assert ("Errors", name) in watched and ("Throttles", name) in watched, name
        dead_letter_queues = {
            ref_id(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
            for q in template.of_type("AWS::SQS::Queue").values()
            if "RedrivePolicy" in q["Properties"]
        } | {
            ref_id(f["Properties"]["DeadLetterQueue"]["TargetArn"])
            for f in template.of_type("AWS::Serverless::Function").values()
            if "DeadLetterQueue" in f["Properties"]
        }
        assert dead_letter_queues
        for queue in dead_letter_queues:
            assert ("ApproximateNumberOfMessagesVisible", queue) in watched, queue
        assert all(a["Properties"]["AlarmActions"] for a in alarms)


# --- cfn-lint ---------------------------------------------------------------------------------


def test_cfn_lint_reports_no_errors(stacks: dict[str, Template], fixture_stack: Template) -> None:
    paths = [str(t.path) for t in [*stacks.values(), fixture_stack]]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), *paths], capture_output=True, text=True, timeout=240
    )
    assert result.returncode & 2 == 0, result.stdout + result.stderr  # bit 2: errors (4 = warnings)


def test_every_job_right_maps_to_the_statements_it_names() -> None:
    """infra/tawasul_infra/rights.py: each ``Right`` a job may declare becomes IAM statements."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk.assertions import Template as CdkTemplate

    from chalicelib.jobs import Right
    from infra.tawasul_infra.rights import grant, grants
    from infra.tawasul_infra.uploads import Uploads

    expected = {
        Right.SEND_IMPORT_QUEUE: {"sqs:SendMessage"},
        Right.SEND_EMAIL: {"ses:SendEmail", "ses:SendRawEmail"},
        Right.PUBLISH_SMS: {"sns:Publish"},
        Right.SEND_WHATSAPP: {"social-messaging:SendWhatsAppMessage"},
        Right.READ_MESSAGING_SECRET: {"secretsmanager:GetSecretValue"},
    }
    assert set(expected) == set(Right)
    stack = cdk.Stack(cdk.App(), "Rights")
    uploads = Uploads(
        stack, "Uploads", bucket_name="rights-test-uploads", queue_name="rights-test-imports", prefix="uploads/",
        allowed_origins=["*"], expire_after=cdk.Duration.days(1), protect=False,
    )  # fmt: skip
    assert set(grants(stage="dev", uploads=uploads)) == set(Right)
    for right in expected:
        role = iam.Role(stack, f"Role{right.name}", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        grant(role, {right}, stage="dev", uploads=uploads)
    body = CdkTemplate.from_stack(stack).to_json()
    for right, actions in expected.items():
        role_id = next(
            k
            for k, v in body["Resources"].items()
            if v["Type"] == "AWS::IAM::Role" and k.startswith(f"Role{right.name.replace('_', '')}")
        )
        granted = {
            action
            for v in body["Resources"].values()
            if v["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in v["Properties"]["Roles"]
            for statement in v["Properties"]["PolicyDocument"]["Statement"]
            for action in as_list(statement["Action"])
        }
        assert actions <= granted, right
        assert not (granted - actions - {"sqs:GetQueueAttributes", "sqs:GetQueueUrl"}), right  # nothing more
    secret = json.dumps(body)
    assert "secret:tawasul/dev/messaging-??????" in secret
