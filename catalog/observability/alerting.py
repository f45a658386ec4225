"""Alertmanager's routes from the environment file: the platform's alerts to a Slack channel whose
incoming-webhook URL is an SSM parameter, read by External Secrets into a Secret Alertmanager mounts.

The URL never appears in values, in Terraform state or in the rendered configuration: the config
names ``api_url_file`` (Alertmanager docs, ``slack_config``), the file prometheus-operator mounts
from ``alertmanagerSpec.secrets`` at ``/etc/alertmanager/secrets/<secret>/<key>``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalog.external_secret import cluster_store_secret

SECRET_NAME = "alertmanager-receiver"
SECRET_KEY = "slack-webhook-url"
NAMESPACE = "monitoring"


class AlertingOptions(BaseModel):
    """``addons.kube-prometheus-stack.alerting``: where alerts go."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    slack_channel: str = Field(pattern=r"^[#@][a-z0-9._-]{1,80}$")
    webhook_parameter: str = Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
    """The SSM parameter under ``/<env>/`` holding the Slack incoming-webhook URL (SecureString)."""


def alertmanager_config(opts: AlertingOptions) -> dict[str, Any]:
    """The chart's ``alertmanager.config``: its Watchdog to ``null``, everything else to the channel."""
    return {
        "route": {
            "receiver": "platform",
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}],
        },
        "receivers": [
            {"name": "null"},
            {
                "name": "platform",
                "slack_configs": [
                    {"channel": opts.slack_channel, "api_url_file": f"/etc/alertmanager/secrets/{SECRET_NAME}/{SECRET_KEY}", "send_resolved": True}
                ],
            },
        ],
    }


def external_secret(env_name: str, store: str, opts: AlertingOptions) -> dict[str, Any]:
    data = [{"secretKey": SECRET_KEY, "remoteRef": {"key": f"/{env_name}/{opts.webhook_parameter}"}}]
    return cluster_store_secret(SECRET_NAME, NAMESPACE, store, {"data": data})
