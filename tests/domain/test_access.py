"""Which reads are recorded in the agency's access stream (domain.access)."""

from __future__ import annotations

from domain.access import recorded_as
from domain.authorization import Actor, Role


def actor(*roles: Role, agencies: tuple[str, ...] = ()) -> Actor:
    return Actor(subject="x", roles=frozenset(roles), agencies=frozenset(agencies))


def test_inspectors_always_hr_for_personal_data_not_their_own_parties_never() -> None:
    inspector = actor(Role.INSPECTOR, agencies=("a",))
    assert recorded_as(inspector, "a", personal=False) is Role.INSPECTOR
    assert recorded_as(inspector, "a", personal=True, own=True) is Role.INSPECTOR
    assert recorded_as(actor(Role.INSPECTOR, agencies=("*",)), "b", personal=False) \
        is Role.INSPECTOR
    assert recorded_as(inspector, "b", personal=True) is None  # out of scope
    hr = actor(Role.EMPLOYEE, Role.HR, agencies=("a",))
    assert recorded_as(hr, "a", personal=True) is Role.HR
    assert recorded_as(hr, "a", personal=False) is None
    assert recorded_as(hr, "a", personal=True, own=True) is None
    assert recorded_as(hr, "b", personal=True) is None
    assert recorded_as(actor(Role.EMPLOYEE), "a", personal=True) is None
    both = actor(Role.HR, Role.INSPECTOR, agencies=("a",))
    assert recorded_as(both, "a", personal=True) is Role.INSPECTOR
