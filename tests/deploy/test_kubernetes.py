"""The Kubernetes manifests: every object of the base and of each overlay, rendered as
Kustomize would (``kustomize.py``; compared with ``kubectl kustomize`` where installed),
is valid against the Kubernetes schemas that kubernetes-validate ships (strict: no unknown
field), and the deployment rules hold (probes, resources, one Recreate sealer...)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .kustomize import render

KUBERNETES = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
TARGETS = ["base", "overlays/agency", "overlays/province"]
VERSION = "1.30.0"
"""The oldest Kubernetes the manifests must fit (schemas shipped with the package)."""


def objects(target: str) -> list[dict[str, Any]]:
    return render(KUBERNETES / target)


@pytest.mark.parametrize("target", TARGETS)
def test_every_object_is_valid(target: str) -> None:
    rendered = objects(target)
    assert rendered
    for obj in rendered:
        kubernetes_validate.validate(obj, VERSION, strict=True)


@pytest.mark.parametrize("target", TARGETS)
def test_deployment_rules(target: str) -> None:
    by_key = {(o["kind"], o["metadata"]["name"]): o for o in objects(target)}
    for name in ("kinerja-api", "kinerja-worker", "kinerja-sealer"):
        deployment = by_key[("Deployment", name)]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert {"livenessProbe", "readinessProbe"} <= container.keys(), name
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert {"requests", "limits"} <= container["resources"].keys(), name
        assert ("PodDisruptionBudget", name) in by_key
    sealer = by_key[("Deployment", "kinerja-sealer")]["spec"]
    assert sealer["replicas"] == 1 and sealer["strategy"]["type"] == "Recreate"
    assert ("HorizontalPodAutoscaler", "kinerja-api") in by_key
    assert ("Job", "kinerja-migrate") in by_key
    assert any(kind == "NetworkPolicy" for kind, _ in by_key)
    if target != "base":
        namespaces = {o["metadata"].get("namespace") for o in by_key.values()}
        assert len(namespaces) == 1 and None not in namespaces


def _kubectl_kustomize(directory: Path) -> list[dict[str, Any]] | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True,
                            text=True, timeout=60, check=False)
    if result.returncode != 0:
        pytest.fail(result.stderr)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.mark.parametrize("target", TARGETS)
def test_same_as_kubectl_kustomize(target: str) -> None:
    theirs = _kubectl_kustomize(KUBERNETES / target)
    if theirs is None:
        pytest.skip("no kubectl here: the overlays are checked as kustomize.py renders them")

    def keyed(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}

    ours = keyed(objects(target))
    assert keyed(theirs) == ours
