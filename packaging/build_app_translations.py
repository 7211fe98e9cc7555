"""Build the translations of app/ and workers/: update resources/i18n/app_<lang>.po from the sources, compile the .mo.

    python packaging/build_app_translations.py            # update the .po (keeping translations), write the .mo
    python packaging/build_app_translations.py --check    # exit 1 if the .po or the .mo is out of date

The counterpart of build_translations.py (Qt's .ts/.qm for widgets/), for app.i18n's stdlib ``gettext``.
Standard library only, on purpose: the extractor is ``ast`` over the calls ``_("…")``, ``N_("…")`` and
``ngettext("…", "…", n)`` (xgettext's job; Babel would be a new dependency for two dozen lines), and the
compiler writes the GNU .mo layout that ``gettext.GNUTranslations`` reads (msgfmt's job, as CPython's
Tools/i18n/msgfmt.py does it). Like the .qm, the .mo is committed, so running from a checkout needs no
build step; the .spec compiles it again from the .po.

``--check`` fails when the sources have texts the .po lacks, the .po keeps texts the sources dropped, an
entry is untranslated or fuzzy, or the .mo is missing or differs from what the .po compiles to now.
"""

from __future__ import annotations

import ast
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

# _i18n_common sits beside this file; its folder is on the path for this import only (winnow.spec loads this
# file by path, and packaging/ on the path for good would let packaging/build.py shadow other modules).
sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import _i18n_common as common
    from _i18n_common import I18N, REPO
finally:
    sys.path.pop(0)

SOURCES = [REPO / "app", REPO / "workers"]
MARKERS = {"_", "N_"}
PLURAL_MARKERS = {"ngettext"}
HEADER = {
    "zh_CN": (
        "Project-Id-Version: Winnow\n"
        "Language: zh_CN\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "Plural-Forms: nplurals=1; plural=0;\n"
    )
}


@dataclass
class Entry:
    msgid: str
    plural: str | None = None
    translations: list[str] = field(default_factory=list)
    fuzzy: bool = False
    places: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return not self.fuzzy and bool(self.translations) and all(self.translations)


# Extraction


def source_files() -> list[Path]:
    return sorted(p for folder in SOURCES for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "i18n":
        return func.attr
    return None


def extract() -> dict[tuple[str, str | None], list[str]]:
    """(msgid, plural) → the files that use it, from every marked call with literal texts."""
    found: dict[tuple[str, str | None], list[str]] = {}
    for path in source_files():
        relative = path.relative_to(REPO).as_posix()
        if relative == "app/i18n.py":
            continue  # defines the markers
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _name(node.func)
            key: tuple[str, str | None] | None = None
            if name in MARKERS and (text := common.constant_str(node.args[0])):
                key = (text, None)
            elif name in PLURAL_MARKERS and len(node.args) >= 2:
                singular, plural = common.constant_str(node.args[0]), common.constant_str(node.args[1])
                if singular and plural:
                    key = (singular, plural)
            if key is not None:
                places = found.setdefault(key, [])
                if relative not in places:
                    places.append(relative)
    return found


# The .po file


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
    return f'"{escaped}"'


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, nxt))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def read_po(path: Path) -> tuple[str, dict[tuple[str, str | None], Entry]]:
    """The header and the entries of a .po (the subset of the format this script writes)."""
    header = ""
    entries: dict[tuple[str, str | None], Entry] = {}
    if not path.exists():
        return header, entries
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    for block in blocks:
        fields: dict[str, str] = {}
        current: str | None = None
        fuzzy = False
        places: list[str] = []
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith("#:"):
                places.extend(line[2:].split())
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                if current is not None:
                    fields[current] += _unquote(line)
            else:
                keyword, _, rest = line.partition(" ")
                current = keyword
                fields[current] = _unquote(rest)
        if "msgid" not in fields:
            continue
        if fields["msgid"] == "":
            header = fields.get("msgstr", "")
            continue
        plural = fields.get("msgid_plural")
        if plural is None:
            translations = [fields.get("msgstr", "")]
        else:
            translations = [fields[k] for k in sorted(k for k in fields if k.startswith("msgstr["))]
        entries[(fields["msgid"], plural)] = Entry(fields["msgid"], plural, translations, fuzzy, places)
    return header, entries


def _lines(keyword: str, text: str) -> list[str]:
    if "\n" in text[:-1]:
        pieces = text.splitlines(keepends=True)
        return [f'{keyword} ""'] + [_quote(p) for p in pieces]
    return [f"{keyword} {_quote(text)}"]


def write_po(path: Path, header: str, entries: list[Entry]) -> None:
    out = ["# Winnow: the texts of app/ and workers/ (packaging/build_app_translations.py keeps this file).", ""]
    out += [*_lines("msgid", ""), *_lines("msgstr", header), ""]
    for entry in entries:
        out += [f"#: {place}" for place in entry.places]
        if entry.fuzzy:
            out.append("#, fuzzy")
        out += _lines("msgid", entry.msgid)
        if entry.plural is None:
            out += _lines("msgstr", entry.translations[0] if entry.translations else "")
        else:
            out += _lines("msgid_plural", entry.plural)
            out += _lines("msgstr[0]", entry.translations[0] if entry.translations else "")
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def merged(language: str, po: Path) -> tuple[str, list[Entry], list[Entry]]:
    """The header, the entries the sources need (old translations kept), and the .po's obsolete ones."""
    header, old = read_po(po)
    wanted = extract()
    entries = []
    for (msgid, plural), places in sorted(wanted.items()):
        previous = old.get((msgid, plural))
        entries.append(
            Entry(msgid, plural, previous.translations if previous else [], previous.fuzzy if previous else False)
        )
        entries[-1].places = places
    obsolete = [entry for key, entry in old.items() if key not in wanted]
    return header or HEADER.get(language, HEADER["zh_CN"]), entries, obsolete


# The .mo file


def compile_mo(po: Path, mo: Path) -> None:
    """Write the GNU .mo of ``po``'s finished entries (keys sorted: the same .po gives the same bytes)."""
    header, entries = read_po(po)
    catalog: dict[bytes, bytes] = {b"": header.encode()}
    for entry in entries.values():
        if not entry.finished:
            continue
        if entry.plural is None:
            catalog[entry.msgid.encode()] = entry.translations[0].encode()
        else:
            catalog[f"{entry.msgid}\0{entry.plural}".encode()] = "\0".join(entry.translations).encode()
    keys = sorted(catalog)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(catalog[key])))
        ids += key + b"\0"
        strs += catalog[key] + b"\0"
    start = 7 * 4 + 16 * len(keys)
    key_table, value_table = [], []
    for key_offset, key_length, value_offset, value_length in offsets:
        key_table += [key_length, start + key_offset]
        value_table += [value_length, start + len(ids) + value_offset]
    data = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    data += struct.pack(f"{len(key_table)}i", *key_table) + struct.pack(f"{len(value_table)}i", *value_table)
    mo.write_bytes(data + ids + strs)


# Commands


def paths(language: str) -> tuple[Path, Path]:
    return I18N / f"app_{language}.po", I18N / f"app_{language}.mo"


def check(language: str) -> list[str]:
    po, mo = paths(language)
    if not po.exists():
        return [f"{common.shown(po)} is missing: run packaging/build_app_translations.py"]
    _header, old = read_po(po)
    _header, entries, obsolete = merged(language, po)
    problems = [
        f"new text in the sources, not in the .po: {e.msgid!r}" for e in entries if (e.msgid, e.plural) not in old
    ]
    problems += [f"text in the .po that no source has any more: {e.msgid!r}" for e in obsolete]
    problems += [f"untranslated or fuzzy: {e.msgid!r}" for e in old.values() if not e.finished]
    problems += common.compiled_problems(po, mo, compile_mo)
    return problems


def build(language: str) -> None:
    po, mo = paths(language)
    I18N.mkdir(parents=True, exist_ok=True)
    header, entries, obsolete = merged(language, po)
    write_po(po, header, entries)
    compile_mo(po, mo)
    left = [e for e in entries if not e.finished]
    counts = f"{len(entries)} texts, {len(left)} untranslated, {len(obsolete)} dropped"
    print(f"{common.shown(po)}: {counts}; wrote {common.shown(mo)}")
    for entry in left:
        print(f"  untranslated: {entry.msgid!r}")


def main(argv: list[str] | None = None) -> int:
    return common.main(argv, __doc__, "build_app_translations", check, build)


if __name__ == "__main__":
    sys.exit(main())
