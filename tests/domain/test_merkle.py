"""The RFC 9162 Merkle tree: public test vectors, known answers and properties.

The vectors in ``tests/vectors/rfc9162/`` are the ``testdata/`` folder of
transparency-dev/merkle, copied unchanged with its LICENSE. The verifiers must
accept exactly the cases marked ``wantErr: false``. The generators are checked
against a direct transcription of the RFC's recursive definitions (``MTH``,
``PATH``, ``SUBPROOF``) below.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.merkle import (
    EMPTY_ROOT,
    MerkleFrontier,
    consistency_proof,
    consistency_proof_ranges,
    fold_perfect_subtrees,
    inclusion_proof,
    inclusion_proof_ranges,
    leaf_hash,
    node_hash,
    parent_hashes,
    perfect_subtrees,
    root,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "rfc9162"
INCLUSION_CASES = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY_CASES = sorted((VECTORS / "consistency").rglob("*.json"))

VALID_INCLUSION_CASES = {
    "0/happy-path.json",
    "1/happy-path.json",
    "2/happy-path.json",
    "3/happy-path.json",
    "4/happy-path.json",
    "single-entry/matching-root-and-leaf.json",
}
VALID_CONSISTENCY_CASES = {
    "0/happy-path.json",
    "1/happy-path.json",
    "2/happy-path.json",
    "3/happy-path.json",
    "4/happy-path.json",
    "additional/sizes-are-equal-one-and-proof-is-empty.json",
}

# The leaves and roots the vectors were made from (transparency-dev/merkle
# testonly/constants.go, the RFC 6962 test data).
RFC6962_LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
RFC6962_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
RFC6962_LEAVES = [leaf_hash(data) for data in RFC6962_LEAF_INPUTS]


# --- the vectors ---------------------------------------------------------------


def _case_id(kind: str) -> Any:
    return lambda path: path.relative_to(VECTORS / kind).as_posix()


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def _b64(value: str | None) -> bytes:
    # Go's encoding/json writes a nil []byte as null and an empty one as "".
    return b"" if value is None else base64.b64decode(value, validate=True)


def _proof(value: list[str] | None) -> list[bytes]:
    return [_b64(node) for node in value or []]


def test_the_vectors_are_all_there_with_their_licence() -> None:
    assert (VECTORS / "LICENSE").read_text(encoding="utf-8").lstrip().startswith("Apache License")
    assert (VECTORS / "README.md").is_file()
    assert len(INCLUSION_CASES) == 98
    assert len(CONSISTENCY_CASES) == 98
    valid_inclusion = {
        _case_id("inclusion")(path) for path in INCLUSION_CASES if _load(path)["wantErr"] is False
    }
    valid_consistency = {
        _case_id("consistency")(path)
        for path in CONSISTENCY_CASES
        if _load(path)["wantErr"] is False
    }
    assert valid_inclusion == VALID_INCLUSION_CASES
    assert valid_consistency == VALID_CONSISTENCY_CASES


@pytest.mark.parametrize("path", INCLUSION_CASES, ids=_case_id("inclusion"))
def test_inclusion_vector(path: Path) -> None:
    case = _load(path)
    assert isinstance(case["wantErr"], bool)
    accepted = verify_inclusion(
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        _proof(case["proof"]),
        _b64(case["root"]),
    )
    assert accepted is (not case["wantErr"]), case["desc"]


@pytest.mark.parametrize("path", CONSISTENCY_CASES, ids=_case_id("consistency"))
def test_consistency_vector(path: Path) -> None:
    case = _load(path)
    assert isinstance(case["wantErr"], bool)
    accepted = verify_consistency(
        case["size1"],
        case["size2"],
        _b64(case["root1"]),
        _b64(case["root2"]),
        _proof(case["proof"]),
    )
    assert accepted is (not case["wantErr"]), case["desc"]


@pytest.mark.parametrize(
    "path", [VECTORS / "inclusion" / f"{n}/happy-path.json" for n in range(5)], ids=str
)
def test_generated_inclusion_proofs_equal_the_vectors(path: Path) -> None:
    case = _load(path)
    leaves = RFC6962_LEAVES[: case["treeSize"]]
    assert leaves[case["leafIdx"]] == _b64(case["leafHash"])
    assert root(leaves) == _b64(case["root"])
    assert inclusion_proof(leaves, case["leafIdx"]) == _proof(case["proof"])


@pytest.mark.parametrize(
    "path", [VECTORS / "consistency" / f"{n}/happy-path.json" for n in range(5)], ids=str
)
def test_generated_consistency_proofs_equal_the_vectors(path: Path) -> None:
    case = _load(path)
    leaves = RFC6962_LEAVES[: case["size2"]]
    assert root(leaves[: case["size1"]]) == _b64(case["root1"])
    assert root(leaves) == _b64(case["root2"])
    assert consistency_proof(leaves, case["size1"]) == _proof(case["proof"])


# --- known answers and edges -----------------------------------------------------


def test_hashes_use_the_rfc_9162_prefixes() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = bytes(range(32)), bytes(range(32, 64))
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_roots_of_the_rfc_6962_test_tree() -> None:
    frontier = MerkleFrontier()
    assert frontier.root() == RFC6962_ROOTS[0]
    for size in range(len(RFC6962_LEAVES) + 1):
        assert root(RFC6962_LEAVES[:size]) == RFC6962_ROOTS[size]
    for size, leaf in enumerate(RFC6962_LEAVES, start=1):
        frontier.append(leaf)
        assert frontier.root() == RFC6962_ROOTS[size]


def test_consistency_from_the_empty_tree_is_refused() -> None:
    # As the vectors expect: a proof from size 0 proves nothing, even between
    # two empty trees; a caller checks an empty checkpoint's root against EMPTY_ROOT.
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 1, EMPTY_ROOT, RFC6962_ROOTS[1], [])
    with pytest.raises(ValueError):
        consistency_proof(RFC6962_LEAVES, 0)


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    assert verify_consistency(8, 8, RFC6962_ROOTS[8], RFC6962_ROOTS[8], [])
    assert not verify_consistency(8, 8, RFC6962_ROOTS[8], RFC6962_ROOTS[7], [])
    assert not verify_consistency(8, 8, RFC6962_ROOTS[8], RFC6962_ROOTS[8], [RFC6962_ROOTS[8]])
    assert consistency_proof(RFC6962_LEAVES, 8) == []


def test_generators_refuse_impossible_arguments() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(RFC6962_LEAVES, 8)
    with pytest.raises(ValueError):
        inclusion_proof(RFC6962_LEAVES, -1)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)
    with pytest.raises(ValueError):
        consistency_proof(RFC6962_LEAVES, 9)
    with pytest.raises(ValueError):
        perfect_subtrees(2, 5)  # not a subtree: 3 leaves must start at a multiple of 4
    with pytest.raises(ValueError):
        perfect_subtrees(4, 4)


def test_verifiers_refuse_malformed_input_without_raising() -> None:
    leaves = RFC6962_LEAVES
    proof = inclusion_proof(leaves, 3)
    assert verify_inclusion(leaves[3], 3, 8, proof, RFC6962_ROOTS[8])
    assert not verify_inclusion(leaves[3], -5, 8, proof, RFC6962_ROOTS[8])
    assert not verify_inclusion(leaves[3], 3, -8, proof, RFC6962_ROOTS[8])
    assert not verify_inclusion(leaves[3][:31], 3, 8, proof, RFC6962_ROOTS[8])
    assert not verify_inclusion(leaves[3], 3, 8, [*proof[:2], proof[2] + b"\x00"], RFC6962_ROOTS[8])
    cproof = consistency_proof(leaves, 5)
    assert verify_consistency(5, 8, RFC6962_ROOTS[5], RFC6962_ROOTS[8], cproof)
    assert not verify_consistency(-1, 8, RFC6962_ROOTS[5], RFC6962_ROOTS[8], cproof)
    assert not verify_consistency(
        5, 8, RFC6962_ROOTS[5], RFC6962_ROOTS[8], [p[:16] for p in cproof]
    )


# --- a reference transcription of RFC 9162 §2.1 --------------------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return d[0]
    k = _k(n)
    return node_hash(reference_mth(d[:k]), reference_mth(d[k:]))


def reference_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*reference_path(m, d[:k]), reference_mth(d[k:])]
    return [*reference_path(m - k, d[k:]), reference_mth(d[:k])]


def reference_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [reference_mth(d)]
    k = _k(n)
    if m <= k:
        return [*reference_subproof(m, d[:k], b), reference_mth(d[k:])]
    return [*reference_subproof(m - k, d[k:], False), reference_mth(d[:k])]


# --- properties -----------------------------------------------------------------------

MAX_LEAVES = 70


@st.composite
def trees(draw: st.DrawFn, min_size: int = 0) -> list[bytes]:
    """Leaf hashes of a random tree; distinct leaves, so a wrong index cannot pass by chance."""
    size = draw(st.integers(min_value=min_size, max_value=MAX_LEAVES))
    salt = draw(st.binary(max_size=8))
    return [leaf_hash(salt + i.to_bytes(2, "big")) for i in range(size)]


def _flip(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def _inclusion_shape(index: int, size: int) -> tuple[bool, ...]:
    # Which proof elements are left siblings: all a verifier can use of the size.
    return tuple(begin < index for begin, _ in inclusion_proof_ranges(index, size))


def _consistency_shape(old: int, new: int) -> tuple[bool, tuple[bool, ...]]:
    # Whether the old root is itself a node of the new tree, and which proof
    # elements lie inside the old tree: all a verifier can use of the sizes.
    ranges = consistency_proof_ranges(old, new)
    return (old & (old - 1) == 0, tuple(end <= old for _, end in ranges))


@settings(max_examples=60, deadline=None)
@given(trees())
def test_root_and_frontier_equal_the_rfc_definition(leaves: list[bytes]) -> None:
    frontier = MerkleFrontier()
    assert frontier.root() == root([]) == EMPTY_ROOT
    for size in range(1, len(leaves) + 1):
        frontier.append(leaves[size - 1])
        expected = reference_mth(leaves[:size])
        assert root(leaves[:size]) == expected
        assert frontier.root() == expected
        assert frontier.size == size
        assert [
            root(leaves[i << level : (i + 1) << level]) for level, i in frontier.subtrees()
        ] == list(frontier.hashes)


@settings(max_examples=40, deadline=None)
@given(trees(), st.data())
def test_frontier_survives_serialisation(leaves: list[bytes], data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(leaves)))
    frontier = MerkleFrontier.from_leaf_hashes(leaves[:cut])
    via_json = MerkleFrontier.from_dict(json.loads(json.dumps(frontier.to_dict())))
    via_bytes = MerkleFrontier.from_bytes(frontier.to_bytes())
    assert via_json == frontier == via_bytes
    assert via_json.root() == via_bytes.root() == root(leaves[:cut])
    copy = frontier.copy()
    for restored in (via_json, via_bytes, frontier):
        restored.extend(leaves[cut:])
        assert restored.size == len(leaves)
        assert restored.root() == root(leaves)
    assert copy.size == cut


def test_frontier_refuses_malformed_state() -> None:
    good = MerkleFrontier.from_leaf_hashes(RFC6962_LEAVES[:5])
    state = good.to_dict()
    for bad in (
        {**state, "size": 7},  # 3 subtrees, not 2
        {**state, "size": -1},
        {**state, "size": True},
        {**state, "size": "5"},
        {**state, "hashes": state["hashes"][:1]},
        {**state, "hashes": [state["hashes"][0], "zz" * 32]},
        {**state, "hashes": [state["hashes"][0], state["hashes"][1][:62]]},
        {**state, "hashes": [state["hashes"][0], 7]},
        {"size": 5},
    ):
        with pytest.raises(ValueError):
            MerkleFrontier.from_dict(bad)
    blob = good.to_bytes()
    for bad_blob in (blob[:-1], blob[:7], blob + bytes(32), bytes(8) + blob[8:]):
        with pytest.raises(ValueError):
            MerkleFrontier.from_bytes(bad_blob)
    with pytest.raises(ValueError):
        good.append(b"short")
    assert good == MerkleFrontier.from_leaf_hashes(RFC6962_LEAVES[:5])


@settings(max_examples=30, deadline=None)
@given(trees(min_size=1), st.data())
def test_every_inclusion_proof_verifies_and_tampering_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = len(leaves)
    tree_root = root(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert proof == reference_path(index, leaves)
        assert verify_inclusion(leaves[index], index, size, proof, tree_root)
        # What a store would do: each element from stored perfect subtrees.
        for (begin, end), node in zip(inclusion_proof_ranges(index, size), proof, strict=True):
            assert node == fold_perfect_subtrees(
                [root(leaves[i << lv : (i + 1) << lv]) for lv, i in perfect_subtrees(begin, end)]
            )

    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = inclusion_proof(leaves, index)
    leaf = leaves[index]
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    assert not verify_inclusion(_flip(leaf, bit), index, size, proof, tree_root)
    assert not verify_inclusion(leaf, index, size, proof, _flip(tree_root, bit))
    if proof:
        at = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="element")
        tampered = [*proof[:at], _flip(proof[at], bit), *proof[at + 1 :]]
        assert not verify_inclusion(leaf, index, size, tampered, tree_root)
        assert not verify_inclusion(leaf, index, size, proof[:-1], tree_root)
    assert not verify_inclusion(leaf, index, size, [*proof, tree_root], tree_root)
    assert not verify_inclusion(leaf, index, size, [tree_root, *proof], tree_root)
    # Another index: always refused (the leaves are distinct).
    other = data.draw(st.integers(min_value=-2, max_value=size + 2), label="other index")
    if other != index:
        assert not verify_inclusion(leaf, other, size, proof, tree_root)
    # Another size: the proof carries no size, so the verifier can only refuse a
    # size that changes the proof's shape; it must refuse every such size.
    wrong = data.draw(st.integers(min_value=0, max_value=2 * MAX_LEAVES), label="other size")
    if wrong != size:
        same_shape = index < wrong and _inclusion_shape(index, wrong) == _inclusion_shape(
            index, size
        )
        assert verify_inclusion(leaf, index, wrong, proof, tree_root) is same_shape


@settings(max_examples=15, deadline=None)
@given(trees(min_size=1))
def test_every_consistency_proof_verifies(leaves: list[bytes]) -> None:
    roots = [root(leaves[:size]) for size in range(len(leaves) + 1)]
    for new in range(1, len(leaves) + 1):
        for old in range(1, new + 1):
            proof = consistency_proof(leaves[:new], old)
            if new - old <= 3 or old <= 3:  # the slow reference on a sample
                assert proof == reference_subproof(old, leaves[:new], True)
            assert verify_consistency(old, new, roots[old], roots[new], proof)


@settings(max_examples=150, deadline=None)
@given(trees(min_size=2), st.data())
def test_tampered_consistency_proofs_fail(leaves: list[bytes], data: st.DataObject) -> None:
    size = len(leaves)
    new = data.draw(st.integers(min_value=2, max_value=size), label="new")
    old = data.draw(st.integers(min_value=1, max_value=new - 1), label="old")
    old_root, new_root = root(leaves[:old]), root(leaves[:new])
    proof = consistency_proof(leaves[:new], old)
    assert proof == reference_subproof(old, leaves[:new], True)
    assert verify_consistency(old, new, old_root, new_root, proof)
    # What a store would do: each element from stored perfect subtrees.
    for (begin, end), node in zip(consistency_proof_ranges(old, new), proof, strict=True):
        assert node == fold_perfect_subtrees(
            [root(leaves[i << lv : (i + 1) << lv]) for lv, i in perfect_subtrees(begin, end)]
        )

    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    at = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="element")
    tampered = [*proof[:at], _flip(proof[at], bit), *proof[at + 1 :]]
    assert not verify_consistency(old, new, old_root, new_root, tampered)
    assert not verify_consistency(old, new, _flip(old_root, bit), new_root, proof)
    assert not verify_consistency(old, new, old_root, _flip(new_root, bit), proof)
    assert not verify_consistency(old, new, new_root, old_root, proof)
    assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not verify_consistency(old, new, old_root, new_root, [*proof, new_root])
    assert not verify_consistency(old, new, old_root, new_root, [old_root, *proof])
    # Other sizes: refused whenever they change the proof's shape, which is all
    # a verifier can see of the sizes (the roots' checkpoints bind the sizes).
    other_old = data.draw(st.integers(min_value=-1, max_value=2 * MAX_LEAVES), label="old'")
    other_new = data.draw(st.integers(min_value=-1, max_value=2 * MAX_LEAVES), label="new'")
    if (other_old, other_new) != (old, new):
        same_shape = 0 < other_old < other_new and _consistency_shape(
            other_old, other_new
        ) == _consistency_shape(old, new)
        accepted = verify_consistency(other_old, other_new, old_root, new_root, proof)
        assert accepted is same_shape


def test_wrong_sizes_exhaustively_on_small_trees() -> None:
    """Every (index, size) and (old, new) claim against every genuine proof, up to 12 leaves."""
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(12)]
    roots = [root(leaves[:size]) for size in range(len(leaves) + 1)]
    sizes = range(len(leaves) + 1)
    for size in sizes[1:]:
        for index in range(size):
            proof = inclusion_proof(leaves[:size], index)
            shape = _inclusion_shape(index, size)
            for claimed_index in sizes:
                for claimed_size in sizes:
                    # Accepted exactly when the claim gives the proof the same shape;
                    # with the right size, that is only the right index.
                    expected = (
                        claimed_index < claimed_size
                        and _inclusion_shape(claimed_index, claimed_size) == shape
                    )
                    if claimed_size == size:
                        assert expected is (claimed_index == index)
                    accepted = verify_inclusion(
                        leaves[index], claimed_index, claimed_size, proof, roots[size]
                    )
                    assert accepted is expected, (index, size, claimed_index, claimed_size)
    for new in sizes[2:]:
        for old in range(1, new):
            proof = consistency_proof(leaves[:new], old)
            shape = _consistency_shape(old, new)
            for claimed_new in sizes:
                for claimed_old in range(claimed_new + 1):
                    expected = 0 < claimed_old < claimed_new and (
                        _consistency_shape(claimed_old, claimed_new) == shape
                    )
                    accepted = verify_consistency(
                        claimed_old, claimed_new, roots[old], roots[new], proof
                    )
                    assert accepted is expected, (old, new, claimed_old, claimed_new)


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=9))
def test_parent_hashes_pair_a_level_as_node_hash_does(children: list[bytes]) -> None:
    parents = parent_hashes(b"".join(children))
    expected = [node_hash(children[i], children[i + 1]) for i in range(0, len(children) - 1, 2)]
    assert parents == b"".join(expected)
    assert len(parents) == 32 * (len(children) // 2)
