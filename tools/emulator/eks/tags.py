"""Tags on managed node groups: moto 5.2.5 tags, untags and lists tags of clusters only, answering
NotFound for a node group's ARN, so any change to a node group's ``tags`` failed to apply on the
emulator. EKS's TagResource, UntagResource and ListTagsForResource take any EKS resource ARN (API
reference: "resourceArn: The Amazon Resource Name (ARN) of the resource", clusters and managed node
groups among them)."""

from __future__ import annotations

from typing import Any


def _nodegroup(backend: Any, arn: str) -> Any:
    for cluster in backend.clusters.values():
        for group in cluster.nodegroups.values():
            if group.arn == arn:
                return group
    return None


def wrap(backend_cls: Any) -> None:
    tag, untag, listed = backend_cls.tag_resource, backend_cls.untag_resource, backend_cls.list_tags_for_resource

    def tag_resource(self: Any, resource_arn: str, tags: dict[str, str]) -> None:
        group = _nodegroup(self, resource_arn)
        if group is None:
            return tag(self, resource_arn, tags)
        group.tags = {**(group.tags or {}), **tags}

    def untag_resource(self: Any, resource_arn: str, tag_keys: list[str]) -> None:
        group = _nodegroup(self, resource_arn)
        if group is None:
            return untag(self, resource_arn, tag_keys)
        keys = tag_keys if isinstance(tag_keys, list) else [tag_keys]
        group.tags = {k: v for k, v in (group.tags or {}).items() if k not in keys}

    def list_tags_for_resource(self: Any, resource_arn: str) -> dict[str, str]:
        group = _nodegroup(self, resource_arn)
        return listed(self, resource_arn) if group is None else dict(group.tags or {})

    backend_cls.tag_resource, backend_cls.untag_resource, backend_cls.list_tags_for_resource = tag_resource, untag_resource, list_tags_for_resource
