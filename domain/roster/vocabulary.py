"""The roster's words: key and unit code patterns, employment types, leader kinds."""

from __future__ import annotations

import re
from enum import StrEnum

from domain.appraisal import PositionKind

EMPLOYEE_KEY_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
"""An employee key: safe in workflow ids (``appraisal-<cycle>-<key>``)."""

UNIT_CODE_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
"""A unit code: safe in ids and URLs."""

_KEY = re.compile(EMPLOYEE_KEY_PATTERN)
_UNIT_CODE = re.compile(UNIT_CODE_PATTERN)
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_GENERATED_KEY = re.compile(r"^e-(\d+)$")

KEY_PREFIX = "e-"

LEADER_KINDS = (PositionKind.JPT, PositionKind.ADMINISTRATOR, PositionKind.SUPERVISOR)
"""Structural positions that can lead a unit, highest first."""


class EmploymentType(StrEnum):
    PNS = "PNS"
    PPPK = "PPPK"
