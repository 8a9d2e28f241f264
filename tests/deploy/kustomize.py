"""A small Kustomize, for the checks to run where no ``kustomize`` or ``kubectl`` is
installed: exactly the features ``deploy/kubernetes`` uses, no more.

- ``resources``: files, or directories holding a ``kustomization.yaml`` (rendered first);
- ``namespace``: set on every namespaced object;
- ``labels`` (``pairs``, without selectors or templates): added to ``metadata.labels``;
- ``images``: a container image named ``name`` becomes ``newName:newTag``;
- ``patches`` (``path`` only): strategic merge by kind and name; maps merge key by key,
  lists of maps with a ``name`` merge item by name (containers, env, ports, volumes),
  other lists are replaced.

Where ``kubectl`` is installed, ``tests/deploy/test_kubernetes.py`` checks that this gives
the same objects as ``kubectl kustomize``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
                  "StorageClass", "CustomResourceDefinition"}


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and all(
            isinstance(item, dict) and "name" in item for item in [*base, *patch]):
        merged_list = [copy.deepcopy(item) for item in base]
        for item in patch:
            for index, existing in enumerate(merged_list):
                if existing["name"] == item["name"]:
                    merged_list[index] = merge(existing, item)
                    break
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(patch)


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    pod = spec.get("template", {}).get("spec", spec.get("jobTemplate", {}).get("spec", {})
                                       .get("template", {}).get("spec", {}))
    return [*pod.get("containers", []), *pod.get("initContainers", [])]


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects ``kustomize build directory`` gives (for the features above)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    objects: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        objects += render(path) if path.is_dir() else load_all(path)
    for patch_entry in kustomization.get("patches", []):
        for patch in load_all(directory / patch_entry["path"]):
            key = (patch["kind"], patch["metadata"]["name"])
            for index, obj in enumerate(objects):
                if (obj["kind"], obj["metadata"]["name"]) == key:
                    objects[index] = merge(obj, patch)
                    break
            else:
                raise ValueError(f"patch {patch_entry['path']}: no {key[0]} {key[1]}")
    for entry in kustomization.get("labels", []):
        assert not entry.get("includeSelectors") and not entry.get("includeTemplates")
        for obj in objects:
            obj["metadata"].setdefault("labels", {}).update(entry["pairs"])
    images = {image["name"]: image for image in kustomization.get("images", [])}
    for obj in objects:
        for container in _containers(obj):
            image = images.get(container["image"].split(":")[0])
            if image:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    return objects
