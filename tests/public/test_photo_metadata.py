"""A complaint's photo is kept without its metadata (place, camera, time), its pixels
untouched, its orientation kept; bytes that cannot be walked are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.complaint import COMPLAINT_POLICY, PhotoRefused, photo_of
from domain.complaint.metadata import Malformed, _orientation_of, without_metadata
from tests.images import exif, jpeg, png, png_chunk, segment

XMP = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPSLatitude</x:xmpmeta>")
IPTC = segment(0xED, b"Photoshop 3.0\x008BIM GPS city: Bandung")
COMMENT = segment(0xFE, b"taken at Jl. GPS No. 1")
ICC = segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"\x00" * 40)


def test_a_jpeg_loses_exif_xmp_iptc_comments_and_its_trailer_but_keeps_its_orientation(
        ) -> None:
    sent = jpeg(after_app0=exif(6) + XMP + IPTC + COMMENT + ICC,
                trailer=b"MotionPhoto_Data GPS video")
    kept = without_metadata(sent, "image/jpeg")
    assert b"GPS" not in kept and b"Bandung" not in kept and b"MotionPhoto" not in kept
    plain = jpeg(after_app0=ICC)
    # SOI, JFIF, the one-tag Exif with the orientation, then the rest as it was.
    jfif_end = 2 + 18
    assert kept[:jfif_end] == plain[:jfif_end]
    orientation = kept[jfif_end:jfif_end + 4 + 26 + 6]
    assert orientation[:2] == b"\xff\xe1" and _orientation_of(orientation[4:]) == 6
    assert kept[jfif_end + len(orientation):] == plain[jfif_end:]
    assert without_metadata(kept, "image/jpeg") == kept  # once is enough


@pytest.mark.parametrize("little_endian", [True, False])
def test_the_orientation_is_read_in_either_byte_order(little_endian: bool) -> None:
    kept = without_metadata(jpeg(after_app0=exif(8, little_endian=little_endian)),
                            "image/jpeg")
    assert b"GPS" not in kept
    assert _orientation_of(kept[2 + 18 + 4:2 + 18 + 36]) == 8


def test_a_jpeg_without_metadata_is_unchanged_and_without_an_orientation_gets_none() -> None:
    assert without_metadata(jpeg(), "image/jpeg") == jpeg()
    assert without_metadata(jpeg(after_app0=exif(None)), "image/jpeg") == jpeg()
    assert without_metadata(jpeg(after_app0=exif(9)), "image/jpeg") == jpeg()  # no such


def test_a_png_loses_its_text_exif_and_time_chunks_and_what_follows_its_end() -> None:
    metadata = (png_chunk(b"tEXt", b"Comment\x00GPS -6.9 107.6")
                + png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00GPS")
                + png_chunk(b"zTXt", b"Raw\x00\x00x\x9c")
                + png_chunk(b"eXIf", b"MM\x00*GPS")
                + png_chunk(b"tIME", b"\x07\xea\x0b\x1e\x0c\x00\x00"))
    kept_chunk = png_chunk(b"pHYs", b"\x00\x00\x0b\x13\x00\x00\x0b\x13\x01")
    kept = without_metadata(png(before_data=metadata + kept_chunk, trailer=b"GPS tail"),
                            "image/png")
    assert kept == png(before_data=kept_chunk)


@pytest.mark.parametrize("data", [
    jpeg()[:40],                                  # a segment cut short
    jpeg()[:-2],                                  # the image data without its end
    b"\xff\xd8" + segment(0xE0, b"JFIF")[:3],    # a length cut in half
    b"\xff\xd8\xff\xe0\x00\x01" + b"\x00" * 10,  # a length below its own two bytes
    b"\xff\xd8\xff\xd9",                          # ends before any image data
    b"\xff\xd8" + b"\x00" * 20,                   # no marker where one must be
])
def test_a_jpeg_that_cannot_be_walked_is_refused(data: bytes) -> None:
    with pytest.raises(Malformed):
        without_metadata(data, "image/jpeg")
    with pytest.raises(PhotoRefused) as refused:
        photo_of(data, COMPLAINT_POLICY)
    assert refused.value.rule == "file_type"


@pytest.mark.parametrize("data", [png()[:30], png()[:-12], png()[:-5]])
def test_a_png_that_cannot_be_walked_is_refused(data: bytes) -> None:
    with pytest.raises(Malformed):
        without_metadata(data, "image/png")


def test_the_photo_kept_and_its_hash_are_those_without_metadata() -> None:
    photo = photo_of(jpeg(after_app0=exif(3)), COMPLAINT_POLICY)
    assert b"GPS" not in photo.content and photo.media_type == "image/jpeg"
    import hashlib

    assert photo.sha256 == hashlib.sha256(photo.content).hexdigest()


_DROPPED = st.sampled_from([0xE1, 0xE3, 0xE7, 0xEC, 0xED, 0xEF, 0xFE])


@given(st.lists(st.tuples(_DROPPED, st.binary(max_size=300)), max_size=6),
       st.binary(max_size=200))
def test_any_metadata_segments_and_trailer_leave_the_plain_image(
        segments: list[tuple[int, bytes]], trailer: bytes) -> None:
    # Bodies that start like Exif are not (no TIFF header after it): no orientation.
    sent = jpeg(after_app0=b"".join(segment(m, b"x" + body) for m, body in segments),
                trailer=trailer)
    assert without_metadata(sent, "image/jpeg") == jpeg()


@given(st.binary(max_size=400))
def test_any_bytes_are_walked_or_refused_never_an_other_error(data: bytes) -> None:
    for media_type, start in (("image/jpeg", b"\xff\xd8"), ("image/png", png()[:8])):
        try:
            without_metadata(start + data, media_type)
        except Malformed:
            pass
