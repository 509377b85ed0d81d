"""Every language of settings.LANGUAGES but English has a catalogue that
translates every string the project marks for translation: no msgid missing,
none empty, none fuzzy, the placeholders and HTML tags kept, and each plural
with every form its language has.

The msgids are extracted afresh, as `make messages` would (makemessages over a
copy of signup_site/ and templates/), so a string added to the code without a
translation fails here, not in front of a reader."""

import ast
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils.translation import to_locale

ROOT = Path(__file__).resolve().parent.parent
OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
# The standard Plural-Forms of languages whose count of forms is not 2 or 3.
NPLURALS = {"ar": 6}
PLACEHOLDER = re.compile(r"%\([a-zA-Z_][a-zA-Z0-9_]*\)[sdifr]|%[sdif]|\{[a-zA-Z_][a-zA-Z0-9_]*\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file (obsolete `#~` ones left out), header included."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#~")]
        fields: dict[str, str] = {}
        flags: set[str] = set()
        current = ""
        for line in lines:
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current] += ast.literal_eval(line)
            else:
                current, _space, value = line.partition(" ")
                fields[current] = ast.literal_eval(value)
        if "msgid" not in fields:
            continue
        msgstr = {0: fields["msgstr"]} if "msgstr" in fields else {}
        msgstr |= {int(name[7:-1]): value for name, value in fields.items() if name.startswith("msgstr[")}
        entries.append(
            Entry(fields["msgid"], fields.get("msgctxt"), fields.get("msgid_plural"), msgstr, flags)
        )
    return entries


def nplurals(entries: list[Entry]) -> int:
    header = next(entry.msgstr[0] for entry in entries if entry.msgid == "")
    found = re.search(r"Plural-Forms:\s*nplurals\s*=\s*(\d+)", header)
    assert found, "the catalogue's header has no Plural-Forms"
    return int(found.group(1))


def problems(source: list[Entry], catalogue: list[Entry], language: str) -> Iterator[str]:
    """What the catalogue lacks or gets wrong, one line each."""
    forms = nplurals(catalogue)
    if language in NPLURALS and forms != NPLURALS[language]:
        yield f"Plural-Forms has nplurals={forms}, {language} has {NPLURALS[language]}"
    translated = {entry.key: entry for entry in catalogue}
    for wanted in source:
        if wanted.msgid == "":
            continue
        entry = translated.get(wanted.key)
        if entry is None:
            yield f"missing: {wanted.msgid!r}"
            continue
        if "fuzzy" in entry.flags:
            yield f"fuzzy: {wanted.msgid!r}"
        if wanted.msgid_plural is None:
            texts = [entry.msgstr.get(0, "")]
        else:
            texts = [entry.msgstr.get(index, "") for index in range(forms)]
        if not all(text.strip() for text in texts):
            yield f"untranslated (or a plural form missing): {wanted.msgid!r}"
            continue
        expected = set(PLACEHOLDER.findall(wanted.msgid + (wanted.msgid_plural or "")))
        for text in texts:
            used = set(PLACEHOLDER.findall(text))
            # A plural form may leave the number out ("one code" written as a word).
            if used - expected or (wanted.msgid_plural is None and used != expected):
                yield f"placeholders {sorted(used)} instead of {sorted(expected)}: {wanted.msgid!r}"
            if sorted(TAG.findall(text)) != sorted(TAG.findall(wanted.msgid)):
                yield f"HTML tags changed: {wanted.msgid!r}"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> list[Entry]:
    """The msgids of the project's code and templates, extracted afresh."""
    copy = tmp_path_factory.mktemp("sources")
    for folder in ("signup_site", "templates"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (copy / "locale").mkdir()
    return _makemessages(copy)


def _makemessages(copy: Path) -> list[Entry]:
    here = Path.cwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            call_command("makemessages", locale=["en"], keep_pot=True, verbosity=0, no_location=True)
    finally:
        os.chdir(here)
    return parse_po((copy / "locale" / "django.pot").read_text(encoding="utf-8"))


def catalogue(language: str) -> list[Entry]:
    path = ROOT / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"no catalogue for {language}: {path.relative_to(ROOT)}"
    return parse_po(path.read_text(encoding="utf-8"))


def test_the_extraction_finds_the_project_strings(extracted: list[Entry]) -> None:
    msgids = {entry.msgid for entry in extracted}
    assert "Skip to main content" in msgids  # templates/base.html
    assert "Preferred language" in msgids  # signup_site/web/forms.py
    assert len(msgids) > 300


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_string_is_translated(extracted: list[Entry], language: str) -> None:
    found = list(problems(extracted, catalogue(language), language))
    assert not found, f"{language}: {len(found)} problems\n" + "\n".join(found[:40])


def test_a_missing_or_broken_translation_is_caught(extracted: list[Entry]) -> None:
    """The check above can fail: one entry dropped, one made fuzzy, one with a
    placeholder lost, each is reported."""
    good = catalogue("es")
    assert list(problems(extracted, good, "es")) == []
    singular = next(entry for entry in good if "%(" in entry.msgid and entry.msgid_plural is None)
    dropped = [entry for entry in good if entry is not singular]
    assert list(problems(extracted, dropped, "es")) == [f"missing: {singular.msgid!r}"]
    fuzzy = [_changed(entry, flags={"fuzzy"}) if entry is singular else entry for entry in good]
    assert list(problems(extracted, fuzzy, "es")) == [f"fuzzy: {singular.msgid!r}"]
    lost = [_changed(entry, msgstr={0: "sin marcador"}) if entry is singular else entry for entry in good]
    [reported] = problems(extracted, lost, "es")
    assert reported.startswith("placeholders [] instead of") and reported.endswith(repr(singular.msgid))


def test_a_plural_needs_every_form_of_its_language(extracted: list[Entry]) -> None:
    plural = next(entry for entry in extracted if entry.msgid_plural)
    header = Entry("", msgstr={0: "Plural-Forms: nplurals=6; plural=0;\n"})
    two_forms = Entry(plural.msgid, plural.msgctxt, plural.msgid_plural, {0: "x", 1: "y"})
    found = list(problems([plural], [header, two_forms], "ar"))
    assert found == [f"untranslated (or a plural form missing): {plural.msgid!r}"]
    two_plurals = Entry("", msgstr={0: "Plural-Forms: nplurals=2;\n"})
    [wrong_header, *_rest] = problems([plural], [two_plurals], "ar")
    assert wrong_header.startswith("Plural-Forms has nplurals=2")


def _changed(entry: Entry, **changes: Any) -> Entry:
    return Entry(
        entry.msgid,
        entry.msgctxt,
        entry.msgid_plural,
        changes.get("msgstr", entry.msgstr),
        changes.get("flags", entry.flags),
    )
