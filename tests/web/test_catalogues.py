"""The message catalogues: every message of the pages (code and templates) is in both
catalogues, translated into Indonesian; none is left over; each compiles."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web.i18n import LANGUAGES, LOCALE_DIR, compile_catalogues, translations

ROOT = Path(__file__).resolve().parents[2]


def _extracted() -> set[str | tuple[str, ...]]:
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, options_map=options):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_every_message_is_in_both_catalogues_and_translated_into_indonesian() -> None:
    extracted = _extracted()
    assert len(extracted) > 100
    for language in LANGUAGES:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
            catalogue = read_po(source, locale=language)
        ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue if m.id}
        assert extracted - ids == set(), f"{language}: not in the catalogue"
        assert ids - extracted == set(), f"{language}: no longer used"
        untranslated = [m.id for m in catalogue if m.id and not all(
            (m.string,) if isinstance(m.string, str) else m.string)]
        assert untranslated == [], f"{language}: untranslated"


def test_the_catalogues_compile_and_translate() -> None:
    compile_catalogues()
    translations.cache_clear()
    assert translations("id").gettext("My performance") == "Kinerja saya"
    assert translations("en").gettext("My performance") == "My performance"
    assert translations("id").ngettext("%(num)d day left", "%(num)d days left", 3) \
        == "sisa %(num)d hari"
