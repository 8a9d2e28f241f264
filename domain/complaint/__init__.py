"""Complaints and suggestions (pengaduan) about a unit's service: what the public files,
its tracking code, its response deadline, and what a complaint's events make of it."""

from domain.complaint.rules import (
    COMPLAINT_POLICY,
    ComplaintKind,
    ComplaintPolicy,
    ComplaintStatus,
    ComplaintView,
    FileComplaint,
    Photo,
    PhotoRefused,
    complaint_stream,
    fold,
    photo_of,
    text_key,
    tracking_code,
)

__all__ = ["COMPLAINT_POLICY", "ComplaintKind", "ComplaintPolicy", "ComplaintStatus",
           "ComplaintView", "FileComplaint", "Photo", "PhotoRefused", "complaint_stream", "fold",
           "photo_of", "text_key", "tracking_code"]
