"""The plan report's Mermaid graph of stacks: edges from the plans' cross-stack reads, the state
stack feeding the first layer, changed stacks marked, high-risk ones red."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.plan_report import main


def plan(tmp_path: Path, name: str, reads: tuple[str, ...] = (), changes: tuple[dict[str, Any], ...] = ()) -> Path:
    doc = {
        "format_version": "1.2",
        "planned_values": {},
        "resource_changes": list(changes),
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": f"data.terraform_remote_state.cross-stack-reference-input-{r}",
                        "mode": "data",
                        "type": "terraform_remote_state",
                        "name": f"cross-stack-reference-input-{r}",
                    }
                    for r in reads
                ]
            }
        },
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def change(type_: str, name: str, actions: list[str]) -> dict[str, Any]:
    return {"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name, "change": {"actions": actions, "before": {}, "after": {}}}


def test_the_report_draws_the_stacks_with_the_changed_ones_marked(tmp_path: Path) -> None:
    files = [
        plan(tmp_path, "dev-state"),
        plan(tmp_path, "dev-network", changes=(change("aws_subnet", "a", ["create"]),)),
        plan(tmp_path, "dev-cluster", reads=("dev-network",), changes=(change("aws_eks_cluster", "c", ["delete", "create"]),)),
        plan(tmp_path, "dev-addons-aws", reads=("dev-cluster", "dev-network")),
    ]
    out = tmp_path / "report.md"
    assert main([*map(str, files), "--out", str(out), "--allow-high-risk"]) == 0
    text = out.read_text()
    graph = text[text.index("```mermaid") : text.index("```", text.index("```mermaid") + 3)]
    assert "flowchart LR" in graph
    assert 's_dev_state["dev-state<br/>no changes"]\n' in graph
    assert 's_dev_network["dev-network<br/>+1"]:::changed' in graph
    assert 's_dev_cluster["dev-cluster<br/>±1"]:::high' in graph  # replacing the cluster is high risk
    assert "s_dev_network --> s_dev_cluster" in graph and "s_dev_cluster --> s_dev_addons_aws" in graph
    assert "s_dev_state -. state .-> s_dev_network" in graph
    assert "s_dev_state -. state .-> s_dev_cluster" not in graph  # it reads the network already
    assert text.index("### Stacks") < text.index("### Risk")


def test_a_single_stack_gets_no_graph(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    main([str(plan(tmp_path, "dev-network")), "--out", str(out)])
    assert "mermaid" not in out.read_text()
