"""Alarms: errors and throttles of every function, 5xx of the API, messages in any dead-letter
queue and a stuck import queue. All notify one SNS topic (optionally e-mailed)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import (
    Duration,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_cloudwatch_actions as actions,
)
from aws_cdk import (
    aws_sns as sns,
)
from aws_cdk import (
    aws_sns_subscriptions as subscriptions,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from constructs import Construct

PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, str],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        work_queues: Mapping[str, sqs.IQueue],
        api_name: str | None,
        alarm_email: str | None,
    ) -> None:
        """``functions``: logical id -> function name; queues: label -> queue."""
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "AlarmTopic", display_name="Tawasul alarms")
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []

        for logical_id, function_name in functions.items():
            for metric_name, what in (("Errors", "failed invocations"), ("Throttles", "throttled invocations")):
                self._alarm(
                    f"{logical_id}{metric_name}",
                    cloudwatch.Metric(
                        namespace="AWS/Lambda",
                        metric_name=metric_name,
                        dimensions_map={"FunctionName": function_name},
                        statistic="Sum",
                        period=PERIOD,
                    ),
                    threshold=1,
                    description=f"{logical_id}: {what} in the last 5 minutes",
                )
        if api_name:
            self._alarm(
                "Api5xx",
                cloudwatch.Metric(
                    namespace="AWS/ApiGateway",
                    metric_name="5XXError",
                    dimensions_map={"ApiName": api_name},
                    statistic="Sum",
                    period=PERIOD,
                ),
                threshold=5,
                description=f"{api_name}: at least five 5xx answers in 5 minutes",
            )
        for label, queue in dead_letter_queues.items():
            self._alarm(
                f"{label}Depth",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                threshold=1,
                description=f"{label}: messages are waiting in a dead-letter queue",
            )
        for label, queue in work_queues.items():
            self._alarm(
                f"{label}Age",
                queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
                threshold=Duration.minutes(30).to_seconds(),
                description=f"{label}: a message has waited more than 30 minutes",
            )

    def _alarm(self, alarm_id: str, metric: cloudwatch.Metric, *, threshold: float, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            alarm_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
