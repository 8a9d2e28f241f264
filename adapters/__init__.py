"""Adapters below the use cases: readers of the files people bring (a roster as CSV or
XLSX). They know formats, not rules: what they read goes to ``domain`` to be checked."""
