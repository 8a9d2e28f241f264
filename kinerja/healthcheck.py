"""``python -m kinerja.healthcheck``: the container's HEALTHCHECK, one for every role.

Exit 0 when ``/healthz`` answers 200 on any port this container's settings give: the API
port, the worker's or the sealer's metrics port (only the role running listens on its
own); else 1. No third-party import, so that it is cheap to run every few seconds.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def ports() -> list[int]:
    found = [int(os.environ.get("KINERJA_API_PORT", "8000"))]
    for variable in ("KINERJA_WORKER_METRICS_PORT", "KINERJA_SEALER_METRICS_PORT"):
        if os.environ.get(variable, "").isdigit():
            found.append(int(os.environ[variable]))
    return found


def healthy(port: int, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def main() -> int:
    return 0 if any(healthy(port) for port in ports()) else 1


if __name__ == "__main__":
    sys.exit(main())
