"""The pure audit modules: checkpoints, tree extension, bundle verification, replay and diff."""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.bundle import (
    BUNDLE_FORMAT,
    BundleReport,
    ProofTrimmer,
    compare_bundles,
    event_line,
    verify_bundle,
)
from domain.bundle.checker import _InclusionChecker
from domain.bundle.format import _event_id_text
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
from domain.integrity import (
    canonical_event,
    canonical_json,
    chain_hash,
    event_id,
)
from domain.merkle import (
    MerkleFrontier,
    inclusion_proof,
    leaf_hash,
    perfect_subtrees,
    root,
    verify_inclusion,
)
from domain.replay import TrailEntry, diff, replay, state_diff
from tests.audit.bundles import KEY, MOMENT, PUBLIC, build_bundle

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
    size, frontier = 0, list[bytes]()
    nodes: dict[tuple[int, int], bytes] = {}
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


# ---------------------------------------------------------------- bundles (format 1, compatibility)


EVENT_START = '{"kind":"event",'
EVENT_MEMBER = ',"event":'


def parse_event(line: str) -> tuple[dict[str, Any], bytes]:
    """An event line's members, and its canonical bytes: in format 2 the bytes of the
    ``event`` value as they stand in the line, in format 1 the base64 ``canonical``."""
    document = json.loads(line)
    if line.startswith(EVENT_START):
        cut = line.index(EVENT_MEMBER)
        return document, line.rstrip()[cut + len(EVENT_MEMBER):-1].encode("utf-8")
    return document, base64.b64decode(document["canonical"])


def edit(lines: list[str], index: int, **changes: Any) -> list[str]:
    """``lines`` with line ``index``'s members changed; ``canonical`` may be given as bytes
    (in either format). A format-2 event line is written again by ``event_line``, so its
    canonical bytes stay verbatim."""
    line = lines[index]
    if line.startswith(EVENT_START):
        document, canonical = parse_event(line)
        canonical = changes.pop("canonical", canonical)
        assert set(changes) <= {"seq", "hash", "proof"}, changes
        document.update(changes)
        proof = document["proof"]
        line = event_line(document["seq"], bytes.fromhex(document["hash"]),
                          None if proof is None else [bytes.fromhex(p) for p in proof],
                          canonical).decode("utf-8").removesuffix("\n")
    else:
        document = json.loads(line)
        if isinstance(changes.get("canonical"), bytes):
            changes["canonical"] = base64.b64encode(changes["canonical"]).decode()
        document.update(changes)
        line = json.dumps(document)
    return [*lines[:index], line, *lines[index + 1:]]


def find_event(lines: list[str], stream: str, version: int) -> int:
    """The index of the line of event ``(stream, version)``, in either format."""
    for index, line in enumerate(lines):
        if json.loads(line)["kind"] == "event":
            content = json.loads(parse_event(line)[1])
            if (content["stream_id"], content["version"]) == (stream, version):
                return index
    raise LookupError((stream, version))


def proof_lengths(lines: list[str]) -> list[int]:
    """The number of proof elements of each event line (0 for an unsealed event)."""
    return [len(parse_event(line)[0]["proof"] or []) for line in lines
            if json.loads(line)["kind"] == "event"]


def failure(lines: list[str], **options: Any) -> str:
    report = verify_bundle(lines, **options)
    assert not report.ok and report.failure is not None
    return str(report.failure)


@pytest.mark.parametrize("fmt", [1, 2])
def test_a_good_bundle_verifies(fmt: int) -> None:
    lines = build_bundle({"s-a": 5, "s-b": 3, "s-c": 7}, sizes=[4, 9, 15], fmt=fmt)
    report = verify_bundle(lines, public_key=PUBLIC)
    assert report.ok, report.failure
    assert (report.events, report.sealed, report.streams) == (15, 15, 3)
    assert [c.tree_size for c in report.checkpoints] == [4, 9, 15]
    assert report.key_id == key_id(PUBLIC)
    assert verify_bundle(line.encode() for line in lines).ok
    partly = build_bundle({"s-a": 5, "s-b": 3}, unsealed=2, fmt=fmt)
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

    b2 = find_event(lines, "s-b", 2)
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
    c1 = find_event(lines, "s-c", 1)
    assert "together" in failure([*lines[:c1], lines[find_event(lines, "s-a", 1)],
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


# --------------------------------------------------------------------------- bundles (format 2)


def flipped(node: bytes) -> bytes:
    """``node`` with its last bit changed."""
    return node[:-1] + bytes([node[-1] ^ 1])


def test_a_format_2_bundle_is_read_from_files_and_carries_trimmed_proofs() -> None:
    lines = build_bundle({"s-a": 5, "s-b": 3, "s-c": 7}, sizes=[4, 9, 15], fmt=2)
    assert json.loads(lines[0])["format"] == BUNDLE_FORMAT == "kinerja-bundle/2"
    events = [line for line in lines if line.startswith(EVENT_START)]
    assert len(events) == 15 and all("canonical" not in json.loads(e) for e in events)
    # read from a file (with their newlines), as bytes or text
    text = "".join(line + "\n" for line in lines)
    assert verify_bundle(io.BytesIO(text.encode())).ok
    assert verify_bundle(io.StringIO(text)).ok
    # the proofs are trimmed, and whole ones verify too
    whole = build_bundle({"s-a": 5, "s-b": 3, "s-c": 7}, sizes=[4, 9, 15], fmt=2,
                         full_proofs=True)
    assert sum(proof_lengths(lines)) < sum(proof_lengths(whole))
    assert verify_bundle(whole, public_key=PUBLIC).ok
    # unsealed events carry no seq and no proof
    partly = build_bundle({"s-a": 5, "s-b": 3}, unsealed=2, fmt=2)
    assert sum('"seq":null,"hash"' in line and '"proof":null,"event"' in line
               for line in partly) == 2


def test_format_2_carries_the_canonical_bytes_verbatim() -> None:
    note = "Penilaian — sangat baik ✓"
    lines = build_bundle({"s-é": 3}, fmt=2, note=note)
    assert verify_bundle(lines).ok
    index = find_event(lines, "s-é", 2)
    _, canonical = parse_event(lines[index])
    assert canonical == canonical_event(
        event_id=event_id("s-é", 2), stream_id="s-é", version=2, type="Noted",
        schema_version=1, data={"v": 2, "note": note}, metadata={},
        recorded_at=MOMENT + timedelta(seconds=2))
    assert note.encode() in lines[index].encode()  # UTF-8, not \u escapes
    # the same events as format 1: the same hashes at the same seqs
    first = verify_bundle(build_bundle({"s-a": 4, "s-b": 2}, sizes=[3, 6]), keep_hashes=True)
    second = verify_bundle(build_bundle({"s-a": 4, "s-b": 2}, sizes=[3, 6], fmt=2),
                           keep_hashes=True)
    assert first.ok and second.ok and len(first.hashes) == 6
    assert first.hashes == second.hashes
    assert compare_bundles(first, second) is None and compare_bundles(second, first) is None


def test_each_kind_of_damage_to_a_format_2_bundle_is_named() -> None:
    lines = build_bundle({"s-a": 5, "s-b": 3, "s-c": 7}, sizes=[4, 15], fmt=2)
    assert verify_bundle(lines).ok
    assert "truncated" in failure(lines[:-1])
    assert "not consistent" in failure(edit(lines, 3, proof=["00" * 32]))

    b2 = find_event(lines, "s-b", 2)
    assert failure([*lines[:b2], *lines[b2 + 1:]]) == "stream s-b, version 2: version 2 is missing"
    # the canonical bytes changed in the line itself
    in_place = lines[b2].replace('"data":{"v":2}', '"data":{"v":9}')
    assert in_place != lines[b2]
    assert failure([*lines[:b2], in_place, *lines[b2 + 1:]]) == (
        "stream s-b, version 2: hash is not sha256(prev_hash || canonical)")
    document, canonical = parse_event(lines[b2])
    content = json.loads(canonical)
    content["data"] = {"v": 99}
    forged = canonical_json(content)
    assert failure(edit(lines, b2, canonical=forged)) == (
        "stream s-b, version 2: hash is not sha256(prev_hash || canonical)")
    previous = bytes.fromhex(parse_event(lines[find_event(lines, "s-b", 1)])[0]["hash"])
    assert chain_hash(previous, canonical).hex() == document["hash"]
    rechained = chain_hash(previous, forged)
    message = failure(edit(lines, b2, canonical=forged, hash=rechained.hex()))
    assert message.startswith("stream s-b, version 2, seq ") and "not included" in message
    assert "repeats" in failure(edit(lines, b2, seq=0))
    c1 = find_event(lines, "s-c", 1)
    assert "together" in failure([*lines[:c1], lines[find_event(lines, "s-a", 1)],
                                  *lines[c1:]])
    assert failure([*lines[:2], "{", *lines[2:]]) == "line 3: not a JSON line"
    assert failure([*lines[:b2], EVENT_START + ' "seq" 4,"event":{}}', *lines[b2:]]) == (
        f"line {b2 + 1}: not a JSON line")
    assert "unknown line kind" in failure([*lines[:-1], '{"kind":"x"}', lines[-1]])

    # "event" not the last member, or missing, or the line not starting as event_line writes it
    number = f"line {b2 + 1}"
    members = {key: value for key, value in document.items() if key != "event"}
    compact = (",", ":")
    wrong_lines = {
        "first": EVENT_START + '"event":' + canonical.decode() + ","
                 + json.dumps(members, separators=compact)[len(EVENT_START):],
        "followed": lines[b2][:-1] + ',"note":1}',
        "missing": json.dumps({**members, "canonical": base64.b64encode(canonical).decode()},
                              separators=compact),
        "spaced": json.dumps(document),
        "sorted": json.dumps(document, sort_keys=True, separators=compact),
    }
    for name, wrong in wrong_lines.items():
        assert json.loads(wrong)["kind"] == "event", name
        report = verify_bundle([*lines[:b2], wrong, *lines[b2 + 1:]])
        assert not report.ok and report.failure is not None, name
        assert report.failure.line == b2 + 1 and str(report.failure).startswith(number), (
            name, str(report.failure))
    assert failure([*lines[:b2], wrong_lines["missing"], *lines[b2 + 1:]]) == (
        f'{number}: not an event line ("event" must be the last member)')
    assert failure([*lines[:b2], wrong_lines["spaced"], *lines[b2 + 1:]]) == (
        f'{number}: an event line must start with {{"kind":"event",')

    # every trimmed proof, one element removed or altered
    checked = 0
    for index, line in enumerate(lines):
        if not line.startswith(EVENT_START):
            continue
        document, canonical = parse_event(line)
        content = json.loads(canonical)
        where = f"stream {content['stream_id']}, version {content['version']}, " \
                f"seq {document['seq']}: not included"
        proof = document["proof"]
        assert proof, "every event of a bundle of more than one leaf carries a proof"
        for j in range(len(proof)):
            shorter = [*proof[:j], *proof[j + 1:]]
            bent = [*proof[:j], flipped(bytes.fromhex(proof[j])).hex(), *proof[j + 1:]]
            assert failure(edit(lines, index, proof=shorter)).startswith(where)
            assert failure(edit(lines, index, proof=bent)).startswith(where)
            checked += 1
        assert failure(edit(lines, index, hash=flipped(bytes.fromhex(document["hash"])).hex())
                       ) == f"stream {content['stream_id']}, version {content['version']}: " \
                            "hash is not sha256(prev_hash || canonical)"
    assert checked == sum(proof_lengths(lines)) > 15


def node_ranges_above(index: int, size: int) -> set[tuple[int, int]]:
    """The interior nodes (leaf ranges) of the RFC 9162 tree of ``size`` leaves on the
    way from leaf ``index`` to the root, the root left out."""
    nodes: set[tuple[int, int]] = set()
    begin, end = 0, size
    while end - begin > 1:
        if (begin, end) != (0, size):
            nodes.add((begin, end))
        half = 1 << ((end - begin - 1).bit_length() - 1)
        if index < begin + half:
            end = begin + half
        else:
            begin += half
    return nodes


LEAVES = [leaf_hash(i.to_bytes(2, "big")) for i in range(200)]


@st.composite
def leaf_orders(draw: st.DrawFn) -> tuple[int, list[int]]:
    """A tree size and some of its leaf indices, in the order a bundle would prove them."""
    size = draw(st.integers(min_value=1, max_value=200))
    arrangement = draw(st.sampled_from(["drawn", "ascending", "descending", "strided",
                                        "run"]))
    if arrangement == "run":
        begin = draw(st.integers(min_value=0, max_value=size - 1))
        return size, list(range(begin, draw(st.integers(min_value=begin + 1,
                                                         max_value=size))))
    chosen = draw(st.permutations(range(size)))
    chosen = chosen[:draw(st.integers(min_value=1, max_value=size))]
    if arrangement == "ascending":
        chosen.sort()
    elif arrangement == "descending":
        chosen.sort(reverse=True)
    elif arrangement == "strided":  # streams interleaved in the log, grouped in the bundle
        streams = draw(st.integers(min_value=2, max_value=6))
        chosen.sort(key=lambda i: (i % streams, i))
    return size, chosen


@given(leaf_orders(), st.data())
@settings(max_examples=200, deadline=None)
def test_trimmed_proofs_verify_in_any_order_and_any_damage_fails(
        case: tuple[int, list[int]], data: st.DataObject) -> None:
    size, order = case
    leaves = LEAVES[:size]
    top = root(leaves)
    trimmer = ProofTrimmer(size)
    checker = _InclusionChecker(size, top)
    whole = data.draw(st.sets(st.sampled_from(order)), label="given whole proofs")
    total = 0
    for index in order:
        proof = inclusion_proof(leaves, index)
        trimmed = proof[:trimmer.needed(index)]
        total += len(trimmed)
        assert not checker.verify(index, flipped(leaves[index]), trimmed)
        for j in range(len(trimmed)):
            assert not checker.verify(index, leaves[index],
                                      [*trimmed[:j], flipped(trimmed[j]), *trimmed[j + 1:]])
            assert not checker.verify(index, leaves[index], [*trimmed[:j], *trimmed[j + 1:]])
        given_proof = proof if index in whole else trimmed
        assert checker.verify(index, leaves[index],
                              data.draw(st.sampled_from([given_proof,
                                                         [p.hex() for p in given_proof]]),
                                        label="bytes or hex"))
    # Each proof stops right under the first node an earlier one proved: one element for
    # the leaf's sibling, one per interior node proven for the first time.
    ancestors = set().union(*(node_ranges_above(index, size) for index in order))
    assert total == (len(order) + len(ancestors) if size > 1 else 0)


@given(st.dictionaries(st.sampled_from(["s-a", "s-b", "s-c", "s-d"]),
                       st.integers(min_value=1, max_value=9), min_size=1),
       st.data())
@settings(max_examples=60, deadline=None)
def test_any_format_2_bundle_verifies_and_a_bent_proof_is_named(
        streams: dict[str, int], data: st.DataObject) -> None:
    events = sum(streams.values())
    unsealed = data.draw(st.integers(min_value=0, max_value=events - 1), label="unsealed")
    sealed = events - unsealed
    earlier = st.sets(st.integers(min_value=1, max_value=sealed - 1), max_size=3) \
        if sealed > 1 else st.just(set[int]())
    sizes = [*sorted(data.draw(earlier, label="earlier checkpoints")), sealed]
    lines = build_bundle(streams, sizes=sizes, unsealed=unsealed, fmt=2)
    report = verify_bundle(lines, public_key=PUBLIC)
    assert report.ok, report.failure
    assert (report.events, report.sealed, report.streams) == (events, sealed, len(streams))
    carrying = [i for i, line in enumerate(lines)
                if line.startswith(EVENT_START) and parse_event(line)[0]["proof"]]
    assert len(carrying) == (sealed if sealed > 1 else 0)
    if carrying:
        index = data.draw(st.sampled_from(carrying), label="event")
        document, canonical = parse_event(lines[index])
        j = data.draw(st.integers(min_value=0, max_value=len(document["proof"]) - 1))
        bent = list(document["proof"])
        bent[j] = flipped(bytes.fromhex(bent[j])).hex()
        content = json.loads(canonical)
        assert failure(edit(lines, index, proof=bent)).startswith(
            f"stream {content['stream_id']}, version {content['version']}, "
            f"seq {document['seq']}: not included")


def test_the_trimmed_proofs_of_contiguous_events_are_short() -> None:
    for streams, sizes in (({"s-a": 100}, [100]), ({"s-a": 37, "s-b": 50, "s-c": 13}, None),
                           ({"s-a": 300}, [64, 255])):
        lines = build_bundle(streams, sizes=sizes, fmt=2)
        assert verify_bundle(lines).ok
        events = len(proof_lengths(lines))
        anchor = (sizes or [events])[-1]
        total = sum(proof_lengths(lines))
        whole = sum(proof_lengths(build_bundle(streams, sizes=sizes, fmt=2, full_proofs=True)))
        # A whole proof is about log2(size) elements; a trimmed one, two on average.
        assert total <= 2 * events + anchor.bit_length(), (streams, total)
        # Exactly: every sealed leaf's sibling, plus each interior node below the root once.
        assert total == anchor + (anchor - 2), (streams, total)
        assert whole >= anchor * (anchor.bit_length() - 1) > 3 * total


# --------------------------------------------------------------------------- replay, diff


def test_replay_stops_at_a_version_or_a_moment() -> None:
    from bench.harness.builders import EMPLOYEE, HR, Run, open_command, sample_skp
    from domain.appraisal import DraftTargets

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
