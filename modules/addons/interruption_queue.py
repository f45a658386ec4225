"""SQS queue fed by EventBridge with the EC2 events Node Termination Handler drains nodes on."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from modules.shared.iam import document

# Event patterns of the project's CloudFormation template (docs/cfn-template.yaml @v1.25.6), minus
# the ASG lifecycle rule: no lifecycle hooks send to this queue (managed node groups have their own).
EVENT_PATTERNS = {
    "scheduled-change": {
        "source": ["aws.health"],
        "detail-type": ["AWS Health Event"],
        "detail": {"service": ["EC2"], "eventTypeCategory": ["scheduledChange"]},
    },
    "spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}


class InterruptionQueue(Construct):
    """Queue ``name`` (5-minute retention, SSE-SQS) that only this construct's rules may send to.

    SSE-SQS rather than the environment's KMS key: EventBridge can only publish to a CMK-encrypted
    queue if the key policy admits events.amazonaws.com, which the cluster key deliberately does not.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        patterns: dict[str, dict[str, object]] | None = None,
        purpose: str = "node termination handling",
    ) -> None:
        """``patterns``: EventBridge rule key -> event pattern (default: the termination handler's)."""
        super().__init__(scope, id_)
        queue = SqsQueue(self, "queue", name=name, message_retention_seconds=300, sqs_managed_sse_enabled=True)
        rules = []
        for key, pattern in (patterns or EVENT_PATTERNS).items():
            rule = CloudwatchEventRule(
                self,
                key,
                name=f"{name}-{key}",
                description=f"{key} events for {purpose} ({name})",
                event_pattern=json.dumps(pattern, sort_keys=True),
            )
            CloudwatchEventTarget(self, f"{key}-target", rule=rule.name, arn=queue.arn, target_id="sqs")
            rules.append(rule)
        SqsQueuePolicy(
            self,
            "policy",
            queue_url=queue.url,
            policy=document(
                {
                    "Sid": "EventBridgeRulesSend",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue.arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": [r.arn for r in rules]}},
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue.arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ),
        )
        self.url = queue.url
        self.arn = queue.arn
