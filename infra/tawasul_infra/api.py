"""The Chalice application, deployed through Chalice's CDK construct and adapted to the stack.

``chalice package`` emits a SAM template with whatever functions app.py declares (the API
handler, one function per ``@app.schedule``, one per ``@app.on_sqs_message``...). This construct
reads that template and, for every function, whatever its kind:

- gives it its own IAM role (Chalice's generated policy is switched off; the stack grants each
  role what its function uses) and its own log group with a retention period;
- for functions invoked asynchronously (schedules, EventBridge/SNS/S3 events), adds an SQS
  dead-letter queue both to the function (failed invocations) and to the event rule (failed
  deliveries).

It also attaches a Cognito user pool authorizer to every route except the public ones, by
editing the generated OpenAPI definition, so app.py never needs the pool ARN at import time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from constructs import Construct

API_HANDLER = "APIHandler"
REST_API = "RestAPI"
AUTHORIZER = "TawasulUserPool"
# Event sources that invoke a function asynchronously: Lambda retries twice, then drops the event
# unless the function has a dead-letter queue.
ASYNC_EVENT_TYPES = frozenset({"Schedule", "ScheduleV2", "CloudWatchEvent", "EventBridgeRule", "SNS", "S3"})
RULE_EVENT_TYPES = frozenset({"Schedule", "CloudWatchEvent", "EventBridgeRule"})
THROTTLE_RATE_PER_SECOND = 50
THROTTLE_BURST = 100


@dataclass(frozen=True)
class Function:
    """One Lambda function of the Chalice app, as the stack needs to know it."""

    logical_id: str
    kind: str  # "api", "queue" (SQS consumer), "async" (schedules and other events), "other"
    role: iam.Role
    timeout_seconds: int
    queue_names: tuple[str, ...]
    dead_letters: sqs.Queue | None


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_dir: Path,
        stage: str,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        cors_origin: str = "*",
    ) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.cors_origin = cors_origin
        self.api_name = f"tawasul-{stage}"
        handler_role = self._role(API_HANDLER)
        # Chalice takes its stage from its scope's name, so it must be a direct child of the stack
        # (whose construct id is the stage).
        self.app = Chalice(
            Stack.of(self),
            "ChaliceApp",
            source_dir=str(source_dir),
            stage_config={
                "autogen_policy": False,
                "manage_iam_role": False,
                "iam_role_arn": handler_role.role_arn,
                "environment_variables": dict(environment),
            },
        )
        # The construct exposes the included template only as L1 objects whose union-typed
        # properties (Events) jsii cannot read back, so read the packaged JSON it came from.
        self.template: dict[str, Any] = json.loads(
            (Path(self.app._sam_package_dir) / "sam.json").read_text()  # noqa: SLF001 (chalice==1.34.0)
        )
        resources: dict[str, Any] = self.template["Resources"]
        self.has_rest_api = REST_API in resources
        self.functions: list[Function] = []
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            role = handler_role if logical_id == API_HANDLER else self._role(logical_id)
            self.functions.append(self._adapt(logical_id, resource["Properties"], role, log_retention))
        if self.has_rest_api:
            self._configure_rest_api()

    @property
    def rest_api_url(self) -> str:
        stage_name = self.template["Resources"][REST_API]["Properties"]["StageName"]
        rest_api = self.app.get_resource(REST_API).ref
        return f"https://{rest_api}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{stage_name}"

    def function_name(self, function: Function) -> str:
        return self.app.get_resource(function.logical_id).ref

    def set_environment(self, function: Function, name: str, value: str) -> None:
        self.app.add_environment_variable(name, value, function.logical_id)

    def _role(self, logical_id: str) -> iam.Role:
        role = iam.Role(
            self,
            f"{logical_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Tawasul {self.stage}: {logical_id}",
        )
        # X-Ray has no resource-level permissions.
        role.add_to_policy(
            iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"])
        )
        return role

    def _adapt(
        self, logical_id: str, properties: dict[str, Any], role: iam.Role, log_retention: logs.RetentionDays
    ) -> Function:
        cfn = self.app.get_resource(logical_id)
        cfn.add_property_override("Role", role.role_arn)
        # The function's role (and its policy) exist before the function and its event sources.
        cfn.node.add_dependency(role.node.find_child("DefaultPolicy"))

        log_group = logs.LogGroup(
            self,
            f"{logical_id}Logs",
            log_group_name=f"/aws/lambda/tawasul-{self.stage}/{logical_id}",
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        cfn.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name, "LogFormat": "Text"})
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )

        events: dict[str, Any] = properties.get("Events") or {}
        types = {event["Type"] for event in events.values()}
        queue_names = tuple(
            str(event["Properties"]["Queue"]["Fn::Sub"]).rsplit(":", 1)[-1]
            for event in events.values()
            if event["Type"] == "SQS" and isinstance(event["Properties"].get("Queue"), dict)
        )
        if logical_id == API_HANDLER:
            kind = "api"
        elif "SQS" in types:
            kind = "queue"
        elif types & ASYNC_EVENT_TYPES:
            kind = "async"
        else:
            kind = "other"

        dead_letters = None
        if kind == "async":
            dead_letters = self._dead_letters(logical_id, role)
            cfn.add_property_override("DeadLetterQueue", {"Type": "SQS", "TargetArn": dead_letters.queue_arn})
            for name, event in events.items():
                if event["Type"] in RULE_EVENT_TYPES:
                    cfn.add_property_override(
                        f"Events.{name}.Properties.DeadLetterConfig", {"Arn": dead_letters.queue_arn}
                    )
            # CDK's built-in validator reads the included event before the override and reports
            # a missing 'Schedule'; the SAM transform (aws-sam-translator 1.115) and cfn-lint
            # accept the final template, where the rule target carries the dead-letter queue.
            Validations.of(cfn).acknowledge(
                Acknowledgment(id="CloudFormation-Validate::E0001", reason="false positive on included SAM events")
            )
        return Function(
            logical_id=logical_id,
            kind=kind,
            role=role,
            timeout_seconds=int(properties.get("Timeout", 60)),
            queue_names=queue_names,
            dead_letters=dead_letters,
        )

    def _dead_letters(self, logical_id: str, role: iam.Role) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            f"{logical_id}DeadLetters",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        queue.grant_send_messages(role)  # Lambda sends failed async invocations as the function
        queue.add_to_resource_policy(  # EventBridge sends events it could not deliver
            iam.PolicyStatement(
                sid="UndeliveredEvents",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/*"}
                },
            )
        )
        return queue

    def require_user_pool(self, *, user_pool_arn: str, public_routes: Set[tuple[str, str]]) -> None:
        """Attach a Cognito user pool authorizer to every route but ``public_routes`` (method, path).

        This is what Chalice's ``CognitoUserPoolAuthorizer`` would generate, added here so app.py
        does not need the pool's ARN when it is imported. API Gateway then rejects missing or
        forged tokens before a Lambda runs; the app still verifies the token itself.
        """
        if not self.has_rest_api:
            return
        body = copy.deepcopy(self.template["Resources"][REST_API]["Properties"]["DefinitionBody"])
        declared = {(method.upper(), path) for path, methods in body["paths"].items() for method in methods}
        unknown = set(public_routes) - declared
        if unknown:
            raise ValueError(f"public routes missing from the packaged API: {sorted(unknown)}")
        body.setdefault("securityDefinitions", {})[AUTHORIZER] = {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [user_pool_arn]},
        }
        for path, methods in body["paths"].items():
            for method, operation in methods.items():
                if method == "options" or (method.upper(), path) in public_routes:
                    continue  # CORS preflights and public routes carry no token
                operation["security"] = [{AUTHORIZER: []}]
        self.app.get_resource(REST_API).add_property_override("DefinitionBody", body)

    def _configure_rest_api(self) -> None:
        rest_api = self.app.get_resource(REST_API)
        rest_api.add_property_override("Name", self.api_name)
        rest_api.add_property_override("TracingEnabled", True)
        rest_api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": THROTTLE_RATE_PER_SECOND,
                    "ThrottlingBurstLimit": THROTTLE_BURST,
                    # No per-method detailed metrics: about seven custom metrics per route and
                    # stage, billed monthly; the free per-API metrics feed the alarms.
                }
            ],
        )
        # API Gateway's own refusals speak problem+json like the app does, with the CORS origin so a
        # browser lets the front end read them.
        rest_api.add_property_override("GatewayResponses", gateway_responses(self.cors_origin))


# The app's problem types (chalicelib.api.problems.problem_type); a test keeps the two in step.
PROBLEM_TYPE_PREFIX = "urn:tawasul:problem:"

# Every response API Gateway makes itself, with the status it sends: its documented default, except
# MISSING_AUTHENTICATION_TOKEN (API Gateway's answer to a path or method no route has, a 403 that
# reads like a token problem: a 404 here, as on the local stack) and EXPIRED_TOKEN/INVALID_SIGNATURE
# (401, as the API answers an expired or forged token). Type, status, slug, title, detail.
GATEWAY_RESPONSES: tuple[tuple[str, str, str, str, str], ...] = (
    ("MISSING_AUTHENTICATION_TOKEN", "404", "not-found", "Not found", "No route matches this method and path."),
    ("RESOURCE_NOT_FOUND", "404", "not-found", "Not found", "No route matches this method and path."),
    ("UNAUTHORIZED", "401", "unauthenticated", "Authentication required",
     "Send a valid Cognito ID token as 'Bearer <token>'."),
    ("EXPIRED_TOKEN", "401", "unauthenticated", "Authentication required", "The token has expired."),
    ("INVALID_SIGNATURE", "401", "unauthenticated", "Authentication required", "The token's signature is not valid."),
    ("ACCESS_DENIED", "403", "forbidden", "Forbidden", "The token is not accepted for this API."),
    ("INVALID_API_KEY", "403", "forbidden", "Forbidden", "The API key is not valid."),
    ("WAF_FILTERED", "403", "forbidden", "Forbidden", "The request was blocked by the firewall."),
    ("BAD_REQUEST_PARAMETERS", "400", "malformed-request", "Malformed request", "A request parameter is not valid."),
    ("BAD_REQUEST_BODY", "400", "malformed-request", "Malformed request", "The request body is not valid."),
    ("REQUEST_TOO_LARGE", "413", "payload-too-large", "Request body too large",
     "The request is larger than API Gateway accepts (10 MB); use POST /imports/uploads for files."),
    ("UNSUPPORTED_MEDIA_TYPE", "415", "unsupported-media-type", "Unsupported media type",
     "The body's content type is not accepted."),
    ("THROTTLED", "429", "too-many-requests", "Too Many Requests", "Slow down and retry with backoff."),
    ("QUOTA_EXCEEDED", "429", "too-many-requests", "Too Many Requests", "The usage quota is used up; retry later."),
    ("INTEGRATION_TIMEOUT", "504", "gateway-timeout", "Gateway timeout",
     "The request took longer than API Gateway waits (29 s); retry, or use an asynchronous route."),
    ("INTEGRATION_FAILURE", "504", "gateway-timeout", "Gateway timeout", "The function could not be invoked; retry."),
    ("API_CONFIGURATION_ERROR", "500", "internal-error", "Internal server error", "The API is misconfigured."),
    ("AUTHORIZER_CONFIGURATION_ERROR", "500", "internal-error", "Internal server error",
     "The authorizer could not be reached."),
    ("AUTHORIZER_FAILURE", "500", "internal-error", "Internal server error", "The authorizer failed."),
)  # fmt: skip
# The fallbacks keep the status of whatever response falls back to them (setting a status on a
# DEFAULT_* response would change every 4XX/5XX to it), so their body names no status.
DEFAULT_GATEWAY_RESPONSES = (
    ("DEFAULT_4XX", "gateway-refused", "Refused by the API gateway"),
    ("DEFAULT_5XX", "gateway-error", "API gateway error"),
)


def gateway_responses(cors_origin: str) -> dict[str, Any]:
    """``GatewayResponses`` of the REST API: each a problem+json body with the CORS origin."""
    headers = {"Content-Type": "'application/problem+json'", "Access-Control-Allow-Origin": f"'{cors_origin}'"}
    responses: dict[str, Any] = {}
    for name, status, slug, title, detail in GATEWAY_RESPONSES:
        body = {"type": PROBLEM_TYPE_PREFIX + slug, "title": title, "status": int(status), "detail": detail}
        responses[name] = {
            "StatusCode": status,
            "ResponseParameters": {"Headers": dict(headers)},
            "ResponseTemplates": {"application/json": json.dumps(body)},
        }
    for name, slug, title in DEFAULT_GATEWAY_RESPONSES:
        # $context.error.messageString is API Gateway's message as a quoted, escaped JSON string.
        template = (
            f'{{"type": "{PROBLEM_TYPE_PREFIX}{slug}", "title": "{title}", "detail": $context.error.messageString}}'
        )
        responses[name] = {
            "ResponseParameters": {"Headers": dict(headers)},
            "ResponseTemplates": {"application/json": template},
        }
    return responses
