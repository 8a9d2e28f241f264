"""Use cases: one per thing a person does, called alike by the HTTP API, the CLI and the
web pages. A use case authenticates nothing (its caller passes the actor), decides
nothing itself (the domain does), and touches the world only through the Temporal
clients (``workflows.*.client``) and ``store/``. Wiring: :mod:`services.bootstrap`.
"""
