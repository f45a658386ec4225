"""Grafana Alloy on every node: each container's log file and the cluster's events, to Loki.

One DaemonSet pod per node reads ``/var/log/pods`` of that node only (the kubelet's log layout) and
pushes to Loki's gateway with the labels people query by: ``namespace``, ``pod``, ``container``,
``app``, ``node`` and ``team`` (from the environment's ``teams:``, for the namespaces a team owns).
It tolerates every taint, so tainted node groups and Karpenter pools are covered; Fargate pods have
no node to run it on: EKS's Fargate log router sends theirs to CloudWatch (:func:`fargate_logging`).

Sources: Alloy's "Collect Kubernetes logs" guide and the component reference
(discovery.kubernetes, discovery.relabel, loki.source.file, loki.source.kubernetes_events,
loki.write); the chart's values (``alloy.mounts.varlog``, ``controller.tolerations``,
``serviceMonitor.enabled``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from catalog import names
from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, Chart, ClusterSide, CustomResources, Options
from catalog.addons.loki import Loki
from catalog.observability.endpoints import LOKI_PUSH_URL

# The collector's own listen port (chart value alloy.listenPort): its UI and /metrics.
LISTEN_PORT = 12345


class AlloyOptions(Options):
    cpu_request: str = Field(default="50m", pattern=r"^\d+m?$")
    memory_request_mib: int = Field(default=128, ge=32, le=4096)


def team_of_namespace(env: Any) -> dict[str, str]:
    """namespace -> owning team, for every team namespace of the environment."""
    return {ns: team for team, spec in sorted(env.teams.items()) for ns in sorted(spec.namespaces)}


def _string(value: str) -> str:
    return json.dumps(value)  # Alloy strings are double-quoted with JSON's escapes


def config(env: Any, push_url: str = LOKI_PUSH_URL) -> str:
    """The Alloy configuration: pod logs of this node and cluster events, to ``push_url``."""
    team_rules = "".join(
        f"""
  rule {{
    source_labels = ["namespace"]
    regex         = {_string(ns)}
    target_label  = "team"
    replacement   = {_string(team)}
  }}"""
        for ns, team in team_of_namespace(env).items()
    )
    return f"""// Rendered by catalog/addons/alloy.py.
discovery.kubernetes "pods" {{
  role = "pod"
  selectors {{
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }}
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app"]
    separator     = ";"
    regex         = "^;*([^;]+)(;.*)?$"
    target_label  = "app"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_node_name"]
    target_label  = "node"
  }}{team_rules}
  rule {{
    source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]
    separator     = "/"
    target_label  = "__path__"
    replacement   = "/var/log/pods/*$1/*.log"
  }}
}}

local.file_match "pods" {{
  path_targets = discovery.relabel.pods.output
}}

loki.source.file "pods" {{
  targets    = local.file_match.pods.targets
  forward_to = [loki.process.pods.receiver]
}}

loki.process "pods" {{
  stage.cri {{}}
  forward_to = [loki.write.loki.receiver]
}}

// Every pod of the DaemonSet watches the events; Loki drops an entry identical to one it already
// has in the same stream (same labels, timestamp and line), so the copies are stored once.
loki.source.kubernetes_events "cluster" {{
  job_name   = "kubernetes-events"
  log_format = "json"
  forward_to = [loki.write.loki.receiver]
}}

loki.write "loki" {{
  endpoint {{
    url = {_string(push_url)}
  }}
}}
"""


class Alloy(Addon):
    name = "alloy"
    chart = Chart(repository="https://grafana.github.io/helm-charts", name="alloy", version="1.11.1")
    namespace = "alloy"
    monitor_switch = {"serviceMonitor": {"enabled": True}}  # chart values.yaml serviceMonitor
    options_model = AlloyOptions
    # Its Service is intercepted by the load balancer controller's Service webhook (failurePolicy
    # Fail); it pushes to Loki, so it starts once Loki's gateway exists.
    after = (AwsLoadBalancerController, Loki)
    # The ``crds`` subchart's crds/ (PodLogs, monitoring.grafana.com): installed and upgraded by a
    # release of its own (modules/shared/crds.py), as for every chart that ships CRDs there.
    crd_dirs = ("charts/crds/crds",)

    def custom_resources(self, ctx: ClusterSide) -> CustomResources | None:
        env = ctx.env
        team_fargate = any(ns.fargate for team in env.teams.values() for ns in team.namespaces.values())
        if not (env.cluster.fargate_profiles or team_fargate):
            return None
        return CustomResources(release="fargate-logging", manifests=fargate_logging(ctx.env))

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: AlloyOptions = ctx.options
        return {
            "alloy": {
                "configMap": {"create": True, "content": config(ctx.env)},
                "mounts": {"varlog": True},  # /var/log/pods of the node
                "enableReporting": False,
                "listenPort": LISTEN_PORT,
                "resources": {"requests": {"cpu": opts.cpu_request, "memory": f"{opts.memory_request_mib}Mi"}},
            },
            "controller": {
                "type": "daemonset",
                # Every node, whatever its taints (node groups' and Karpenter pools' alike).
                "tolerations": [{"operator": "Exists"}],
                "priorityClassName": "system-node-critical",
            },
        }


def fargate_logging(env: Any) -> tuple[dict[str, Any], ...]:
    """The ``aws-observability`` Namespace and ``aws-logging`` ConfigMap EKS's Fargate log router
    reads (EKS user guide, "Start AWS Fargate logging for your cluster"): every Fargate pod's
    container logs to the environment's Fargate log group (created by the cluster stack)."""
    output = "\n".join(
        [
            "[OUTPUT]",
            "    Name cloudwatch_logs",
            "    Match *",
            f"    region {env.region}",
            f"    log_group_name {names.fargate_log_group(env.cluster_name)}",
            "    log_stream_prefix fargate-",
            "    auto_create_group false",
        ]
    )
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "aws-observability", "labels": {"aws-observability": "enabled"}}}
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "aws-logging", "namespace": "aws-observability"},
        "data": {"output.conf": output + "\n"},
    }
    return (namespace, config_map)
