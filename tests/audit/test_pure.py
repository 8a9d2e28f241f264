"""The pure audit modules: checkpoints, tree extension, bundle verification, replay and diff."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.bundle import (
    BundleReport,
    _event_id_text,
    _InclusionChecker,
    compare_bundles,
    verify_bundle,
)
from domain.checkpoint import (
    Checkpoint,
    checkpoint_message,
    extend_tree,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_bytes,
    public_key_pem,
    sign_checkpoint,
    verify_checkpoint,
)
from domain.integrity import GENESIS_HASH, canonical_event, chain_hash, event_id
from domain.merkle import (
    MerkleFrontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    perfect_subtrees,
    root,
    verify_inclusion,
)
from domain.replay import TrailEntry, diff, replay, state_diff

KEY = generate_private_key()
PUBLIC = public_key_bytes(KEY)
MOMENT = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)


# --------------------------------------------------------------------------- checkpoints


def test_the_signed_message_is_exactly_four_ascii_lines() -> None:
    message = checkpoint_message(42, bytes(range(32)), MOMENT)
    assert message == (b"kinerja-checkpoint/v1\n42\n" + bytes(range(32)).hex().encode()
                       + b"\n2026-11-23T10:00:00.123456Z\n")
    other_zone = MOMENT.astimezone(tz=__import__("datetime").timezone(timedelta(hours=7)))
    assert checkpoint_message(42, bytes(range(32)), other_zone) == message
    with pytest.raises(ValueError):
        checkpoint_message(1, b"short", MOMENT)


def test_checkpoints_sign_verify_and_round_trip() -> None:
    checkpoint = sign_checkpoint(KEY, 7, bytes(32), MOMENT)
    assert checkpoint.key_id == key_id(PUBLIC) and len(checkpoint.key_id) == 16
    assert verify_checkpoint(PUBLIC, checkpoint)
    assert Checkpoint.from_json(json.loads(json.dumps(checkpoint.to_json()))) == checkpoint
    other = public_key_bytes(generate_private_key())
    assert not verify_checkpoint(other, checkpoint)
    for changed in ({"tree_size": 8}, {"root": b"\x01" * 32},
                    {"signed_at": MOMENT + timedelta(microseconds=1)}):
        forged = Checkpoint(**{**checkpoint.__dict__, **changed})
        assert not verify_checkpoint(PUBLIC, forged)
    for broken in ({"root": "zz"}, {"tree_size": -1}, {"signature": "!!"},
                   {"signed_at": "2026-01-01T00:00:00"}):
        with pytest.raises(ValueError):
            Checkpoint.from_json({**checkpoint.to_json(), **broken})


def test_keys_round_trip_through_pem() -> None:
    assert public_key_bytes(load_private_key(private_key_pem(KEY))) == PUBLIC
    assert public_key_bytes(load_public_key(public_key_pem(KEY))) == PUBLIC
    assert public_key_bytes(load_public_key(private_key_pem(KEY))) == PUBLIC


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6))
def test_extending_in_batches_builds_the_rfc_9162_tree(batches: list[int]) -> None:
    size, frontier, nodes = 0, [], {}
    leaves: list[bytes] = []
    for count in batches:
        batch = [leaf_hash(str(len(leaves) + i).encode()) for i in range(count)]
        size, frontier, completed = extend_tree(size, frontier, batch)
        leaves += batch
        for level, index, hash_ in completed:
            assert (level, index) not in nodes
            nodes[(level, index)] = hash_
    assert size == len(leaves)
    assert frontier == list(MerkleFrontier.from_leaf_hashes(leaves).hashes)
    assert {(lv, i) for lv in range(1, 64) for i in range(size >> lv)} == set(nodes)
    for (level, index), hash_ in nodes.items():
        assert hash_ == root(leaves[index << level:(index + 1) << level])
    if size:
        assert [nodes.get(n) or leaves[n[1]] for n in perfect_subtrees(0, size)] == frontier


@given(st.text(max_size=30), st.integers(min_value=0, max_value=2**31))
def test_the_fast_event_id_is_the_uuid5_event_id(stream: str, version: int) -> None:
    assert _event_id_text(stream, version) == str(event_id(stream, version))


def test_the_caching_inclusion_checker_agrees_with_rfc_9162() -> None:
    rng = random.Random(5)
    for size in range(1, 40):
        leaves = [leaf_hash(bytes([i])) for i in range(size)]
        top = root(leaves)
        checker = _InclusionChecker(size, top)
        order = list(range(size))
        rng.shuffle(order)
        for index in order:
            proof = inclusion_proof(leaves, index)
            assert checker.verify(index, leaves[index], proof)
            assert verify_inclusion(leaves[index], index, size, proof, top)
            wrong = leaf_hash(b"x")
            assert not checker.verify(index, wrong, proof)
            assert _InclusionChecker(size, top).verify(index, leaves[index],
                                                       [p.hex() for p in proof])
            if proof:
                assert not _InclusionChecker(size, top).verify(index, leaves[index], proof[:-1])
                bent = [*proof[:-1], leaf_hash(b"y")]
                # A fresh checker rejects it; a warm one may already know the leaf's
                # ancestor below the bent element: the leaf is proven included all the same.
                assert not _InclusionChecker(size, top).verify(index, leaves[index], bent)
        assert not checker.verify(size, leaves[0], [])


# --------------------------------------------------------------------------- bundles


def build_bundle(streams: dict[str, int], sizes: list[int] | None = None,
                 key: Any = KEY, unsealed: int = 0) -> list[str]:
    """A bundle of ``streams`` (id -> event count), sealed round-robin, with checkpoints of
    ``sizes`` (default: one of everything sealed) and the last ``unsealed`` seqs left out."""
    events: dict[str, list[tuple[bytes, bytes, bytes]]] = {}
    order: list[tuple[str, int]] = []
    for version in range(1, max(streams.values()) + 1):
        for stream, count in streams.items():
            if version <= count:
                order.append((stream, version))
    prevs = dict.fromkeys(streams, GENESIS_HASH)
    hashes: dict[tuple[str, int], bytes] = {}
    for stream, count in streams.items():
        events[stream] = []
        for version in range(1, count + 1):
            canonical = canonical_event(
                event_id=event_id(stream, version), stream_id=stream, version=version,
                type="Noted", schema_version=1, data={"v": version}, metadata={},
                recorded_at=MOMENT + timedelta(seconds=version))
            hash_ = chain_hash(prevs[stream], canonical)
            events[stream].append((canonical, prevs[stream], hash_))
            hashes[(stream, version)] = hash_
            prevs[stream] = hash_
    sealed = len(order) - unsealed
    seqs = {place: seq for seq, place in enumerate(order[:sealed])}
    leaves = [leaf_hash(hashes[place]) for place in order[:sealed]]
    sizes = sizes or [sealed]
    checkpoints = [sign_checkpoint(key, size, root(leaves[:size]), MOMENT) for size in sizes]
    anchor = sizes[-1]
    lines = [json.dumps({"kind": "bundle", "format": "kinerja-bundle/1", "scope": {},
                         "public_key": base64.b64encode(public_key_bytes(key)).decode()})]
    lines += [json.dumps({"kind": "checkpoint", **c.to_json()}) for c in checkpoints]
    lines += [json.dumps({"kind": "consistency", "old_size": size, "new_size": anchor,
                          "proof": [p.hex() for p in consistency_proof(leaves[:anchor], size)]})
              for size in sizes[:-1]]
    count = 0
    for stream in streams:
        for version, (canonical, prev, hash_) in enumerate(events[stream], start=1):
            seq = seqs.get((stream, version))
            if seq is not None and seq >= anchor:
                seq = None
            proof = ([p.hex() for p in inclusion_proof(leaves[:anchor], seq)]
                     if seq is not None else None)
            lines.append(json.dumps({"kind": "event", "seq": seq,
                                     "canonical": base64.b64encode(canonical).decode(),
                                     "prev_hash": prev.hex(), "hash": hash_.hex(),
                                     "proof": proof}))
            count += 1
    lines.append(json.dumps({"kind": "end", "events": count, "checkpoints": len(sizes)}))
    return lines


def edit(lines: list[str], index: int, **changes: Any) -> list[str]:
    document = json.loads(lines[index])
    document.update(changes)
    return [*lines[:index], json.dumps(document), *lines[index + 1:]]


def event_line(lines: list[str], stream: str, version: int) -> int:
    for index, line in enumerate(lines):
        document = json.loads(line)
        if document["kind"] == "event":
            content = json.loads(base64.b64decode(document["canonical"]))
            if (content["stream_id"], content["version"]) == (stream, version):
                return index
    raise LookupError((stream, version))


def failure(lines: list[str], **options: Any) -> str:
    report = verify_bundle(lines, **options)
    assert not report.ok and report.failure is not None
    return str(report.failure)


def test_a_good_bundle_verifies() -> None:
    lines = build_bundle({"s-a": 5, "s-b": 3, "s-c": 7}, sizes=[4, 9, 15])
    report = verify_bundle(lines, public_key=PUBLIC)
    assert report.ok, report.failure
    assert (report.events, report.sealed, report.streams) == (15, 15, 3)
    assert [c.tree_size for c in report.checkpoints] == [4, 9, 15]
    assert report.key_id == key_id(PUBLIC)
    assert verify_bundle(line.encode() for line in lines).ok
    partly = build_bundle({"s-a": 5, "s-b": 3}, unsealed=2)
    report = verify_bundle(partly)
    assert report.ok and (report.events, report.sealed) == (8, 6), report.failure


def test_each_kind_of_damage_is_named() -> None:
    lines = build_bundle({"s-a": 5, "s-b": 3, "s-c": 7}, sizes=[4, 15])
    other = generate_private_key()
    assert "not the expected key" in failure(lines, public_key=public_key_bytes(other))
    assert "truncated" in failure(lines[:-1])
    assert "counts differ" in failure(edit(lines, len(lines) - 1, events=14))
    assert "signature" in failure(edit(lines, 1, root="00" * 32))
    assert "not consistent" in failure(edit(lines, 3, proof=["00" * 32]))
    assert "no consistency proof" in failure([*lines[:3], *lines[4:]])

    b2 = event_line(lines, "s-b", 2)
    assert failure([*lines[:b2], *lines[b2 + 1:]]) == "stream s-b, version 2: version 2 is missing"
    document = json.loads(lines[b2])
    content = json.loads(base64.b64decode(document["canonical"]))
    content["data"] = {"v": 99}
    forged = base64.b64encode(json.dumps(content).encode()).decode()
    assert failure(edit(lines, b2, canonical=forged)) == (
        "stream s-b, version 2: hash is not sha256(prev_hash || canonical)")
    rechained = chain_hash(bytes.fromhex(document["prev_hash"]), base64.b64decode(forged))
    message = failure(edit(lines, b2, canonical=forged, hash=rechained.hex()))
    assert message.startswith("stream s-b, version 2, seq ") and "not included" in message
    assert "prev_hash" in failure(edit(lines, b2, prev_hash="11" * 32))
    assert "repeats" in failure(edit(lines, b2, seq=0))
    c1 = event_line(lines, "s-c", 1)
    assert "together" in failure([*lines[:c1], lines[event_line(lines, "s-a", 1)],
                                  *lines[c1:]])
    assert "not a JSON line" in failure([*lines[:2], "{", *lines[2:]])
    assert "unknown line kind" in failure([*lines[:-1], '{"kind": "x"}', lines[-1]])


def test_a_later_bundle_is_compared_with_an_earlier_one() -> None:
    earlier = verify_bundle(build_bundle({"s-a": 3, "s-b": 2}), keep_hashes=True)
    later = verify_bundle(build_bundle({"s-a": 4, "s-b": 2}, sizes=[5, 6]), keep_hashes=True)
    assert earlier.ok and later.ok, later.failure
    assert compare_bundles(earlier, later) is None
    shorter = verify_bundle(build_bundle({"s-a": 2, "s-b": 2}), keep_hashes=True)
    assert str(compare_bundles(earlier, shorter)).startswith("stream s-a, version 3")
    changed = BundleReport(hashes={**later.hashes, ("s-b", 2): (b"\x00" * 32, 3)},
                           checkpoints=later.checkpoints)
    assert "hash changed" in str(compare_bundles(earlier, changed))
    other_root = BundleReport(hashes=later.hashes, checkpoints=[
        sign_checkpoint(KEY, 5, b"\x01" * 32, MOMENT)])
    assert "another root" in str(compare_bundles(earlier, other_root))


# --------------------------------------------------------------------------- replay, diff


def test_replay_stops_at_a_version_or_a_moment() -> None:
    from domain.appraisal import DraftTargets
    from tests.domain.builders import EMPLOYEE, HR, Run, open_command, sample_skp

    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    state, events = run.state, run.events
    entries = [TrailEntry(i, e.type, e.model_dump(mode="json", exclude={"type"}),
                          MOMENT + timedelta(minutes=i)) for i, e in enumerate(events, 1)]
    assert replay(entries) == state
    assert replay(entries, version=0).version == 0
    assert replay(entries, at=MOMENT).version == 0
    assert replay(entries, at=MOMENT + timedelta(minutes=1)).version == 1
    with pytest.raises(ValueError):
        replay(entries[1:])


def test_diff_names_each_changed_leaf() -> None:
    before = {"a": 1, "b": {"c": [1, 2], "d": "x"}}
    after = {"a": 1, "b": {"c": [1, 3, 4], "d": "x"}, "e": True}
    assert [(c.path, c.before, c.after) for c in diff(before, after)] == [
        ("b.c[1]", 2, 3), ("b.c[2]", None, 4), ("e", None, True)]
    assert diff(before, before) == []
    from domain.appraisal import AppraisalState

    assert state_diff(AppraisalState(), AppraisalState()) == []
