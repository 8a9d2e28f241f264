"""Rendering documents (domain.documents) to PDF with Typst; see docs/documents.md."""
