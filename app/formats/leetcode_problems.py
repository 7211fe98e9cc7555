"""LeetCode problems, the input of the COIG LeetCode task: a JSON/JSONL file, or a doocs/leetcode folder.

Each problem becomes one sample of kind ``code`` whose ``problem`` key holds the problem as it came
(the truth the generator in :mod:`app.tasks.leetcode` works from)::

    {"id": "1", "title": "两数之和", "slug": "two-sum",
     "description": "<p>给定一个整数数组…</p>",          # Markdown or HTML, kept as given
     "explanation": "",                                   # the problem's general explanation, optional
     "solutions": [{"lang": "Python3", "code": "class Solution: …", "explanation": "…"}]}

``instruction``/``input``/``output`` show the problem in the code pane like any LeetCode sample: the
title, the description as text, and every solution in a fenced block under its language.

**File** (JSON array or JSON Lines), one object per problem: ``title`` or ``slug`` (one is needed),
optional ``id`` (or ``frontend_id``/``question_id``); ``description`` (or ``content``, LeetCode's own
name); ``solutions`` either ``{"Python3": "code", …}`` or ``[{"lang", "code", "explanation"?}, …]``;
optional ``explanation``. Other keys stay in ``extra``.

**Folder** laid out like doocs/leetcode: ``solution/0000-0099/0001.Two Sum/README.md`` (front matter,
``# [1. 两数之和](https://leetcode.cn/problems/two-sum)``, ``## 题目描述``, ``## 解法`` with one
``### 方法一：…`` section per method, each an explanation then a fenced block per language under
``#### Python3`` — or ``### **Python3**`` in the older layout) and ``Solution.py``,
``Solution2.java``… beside it (method *n* is ``Solution{n}``, method one plain ``Solution``). The
files are the code (byte for byte); a language only in the README takes its fenced block. The folder
may be the repository, ``solution/``, one range folder, or one problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from app.formats import jsonfields as jf
from app.formats.base import Reader, ReadOptions, Sniff
from app.formats.coig_leetcode import LANGUAGES as LEXER_NAMES
from app.formats.textio import json_type
from app.records import BadRecord, Kind, Record

# LeetCode's names for its languages, the doocs file extension of each, and the spellings a problems
# file may use for them.
LANGUAGE_NAMES = {
    "py": "Python3",
    "java": "Java",
    "cpp": "C++",
    "c": "C",
    "cs": "C#",
    "go": "Go",
    "js": "JavaScript",
    "ts": "TypeScript",
    "rs": "Rust",
    "php": "PHP",
    "scala": "Scala",
    "swift": "Swift",
    "rb": "Ruby",
    "nim": "Nim",
    "kt": "Kotlin",
    "dart": "Dart",
    "cj": "Cangjie",
    "sql": "MySQL",
    "sh": "Bash",
    "ex": "Elixir",
    "erl": "Erlang",
    "rkt": "Racket",
}
_ALIASES = {
    **{ext: name for ext, name in LANGUAGE_NAMES.items()},
    **{name.lower(): name for name in LANGUAGE_NAMES.values()},
    "python": "Python3",
    "python3": "Python3",
    "c++": "C++",
    "csharp": "C#",
    "c#": "C#",
    "golang": "Go",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "rust": "Rust",
    "ruby": "Ruby",
    "kotlin": "Kotlin",
    "bash": "Bash",
    "shell": "Bash",
}

KNOWN = ("id", "frontend_id", "question_id", "title", "slug", "description", "content", "solutions", "explanation")

_PROBLEM_DIR = re.compile(r"^\d{4,}\.")
_MEMBER = re.compile(r"(?:^|/)\d{4,}\.[^/]+/(?:README\.md|Solution\d*\.\w+)$")
_SOLUTION_FILE = re.compile(r"^Solution(\d*)\.(\w+)$")
_TITLE = re.compile(r"^#\s+\[(?P<id>[^.\]]+)\.\s*(?P<title>[^\]]+)\]\((?P<url>[^)]*)\)", re.M)
_LANG_HEADING = re.compile(r"^#{3,4}\s+(?:\*\*)?(?P<lang>[^*\n]+?)(?:\*\*)?\s*$")
_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,})[ \t]*(?P<tag>[^\s`]*)\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def language_name(name: str) -> str:
    """LeetCode's name for a language (``py``/``python`` → ``Python3``); unknown names as given."""
    return _ALIASES.get(name.strip().lower(), name.strip())


def lexer_name(lang: str) -> str:
    """The Pygments name for a LeetCode language name, as the COIG LeetCode reader derives it."""
    name = lang.strip().lower()
    return LEXER_NAMES.get(name, name)


def fenced(code: str, lang: str) -> str:
    """``code`` in a Markdown fence tagged with its language. The code inside stays byte-identical:
    a closing newline is added only when the code has none, and a fence longer than any run of
    backticks in the code is used."""
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * max(3, longest + 1)
    closing = "" if code.endswith("\n") else "\n"
    return f"{fence}{lexer_name(lang)}\n{code}{closing}{fence}"


def problem_key(problem: dict[str, Any]) -> str:
    """What names a problem for the generator's random choices: its slug, else its id, else its title."""
    return str(problem.get("slug") or problem.get("id") or problem.get("title") or "")


# --- descriptions ------------------------------------------------------------------------------

_HTML = re.compile(r"</?(?:p|pre|code|ul|ol|li|strong|em|b|i|div|br|sup|sub|img|span|font|table)\b", re.I)
_BLOCKS = {"p", "div", "pre", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


def description_text(description: str) -> str:
    """A problem description as plain text: LeetCode's HTML (doocs keeps it) turned into paragraphs,
    lists and preformatted examples; Markdown (or plain text) as it is, trimmed."""
    # LeetCode's statements start with a tag (<p>); Markdown may show HTML in a code span or block.
    if not (description.lstrip().startswith("<") and _HTML.search(description)):
        return description.strip()
    parser = _TextParser()
    parser.feed(description)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    """Just enough HTML for LeetCode statements: p, pre, code, ul/ol/li, sup/sub, br, img."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pre = 0
        self.code = 0
        self.lists: list[list[int]] = []  # per open list: [is_ordered, next number]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._break(2)
        if tag == "pre":
            self.pre += 1
        elif tag == "code" and not self.pre:
            self.code += 1
            self.out.append("`")
        elif tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 1])
        elif tag == "li":
            self._break(1)
            ordered, number = self.lists[-1] if self.lists else (False, 1)
            indent = "  " * max(len(self.lists) - 1, 0)
            self.out.append(f"{indent}{number}. " if ordered else f"{indent}- ")
            if self.lists:
                self.lists[-1][1] += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "sup":
            self.out.append("^")
        elif tag == "sub":
            self.out.append("_")
        elif tag == "img":
            found = dict(attrs)
            self.out.append(f"![{found.get('alt') or ''}]({found.get('src') or ''})")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(self.pre - 1, 0)
        elif tag == "code" and self.code:
            self.code -= 1
            self.out.append("`")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in _BLOCKS:
            self._break(2)

    def handle_data(self, data: str) -> None:
        if self.pre:
            self.out.append(data)
        else:
            text = re.sub(r"[ \t\r\n\u00a0]+", " ", data)
            if not self.out or self.out[-1].endswith("\n"):
                text = text.lstrip(" ")  # no indent from the HTML's own line breaks
            self.out.append(text)

    def _break(self, count: int) -> None:
        self.out.append("\n" * count)

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self.out).split("\n")]
        # A paragraph of only a no-break space (LeetCode's spacer) becomes an empty line.
        joined = "\n".join(line if line.strip() else "" for line in lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip()


# --- the content of a problem sample -------------------------------------------------------------


def problem_content(problem: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A problem as a ``code`` sample: readable fields for the pane, the problem itself under ``problem``."""
    heading = f"{problem['id']}. {problem['title']}" if problem.get("id") else problem["title"] or problem["slug"]
    parts: list[str] = []
    if problem.get("explanation"):
        parts.append(problem["explanation"])
    shown_explanation = ""
    for solution in problem["solutions"]:
        if solution.get("explanation") and solution["explanation"] != shown_explanation:
            parts.append(solution["explanation"])
            shown_explanation = solution["explanation"]
        parts.append(f"#### {solution['lang']}\n\n{fenced(solution['code'], solution['lang'])}")
    first = problem["solutions"][0]["lang"] if problem["solutions"] else ""
    content: dict[str, Any] = {
        "instruction": heading,
        "input": description_text(problem["description"]),
        "output": "\n\n".join(parts),
    }
    if first:
        content["language"] = lexer_name(first)
    content["problem"] = problem
    if extra:
        content["extra"] = extra
    return content


# --- a problems file -----------------------------------------------------------------------------


def convert(value: dict[str, Any]) -> dict[str, Any]:
    """One object of a problems file → the content of a problem sample (FieldError if unusable)."""
    title = jf.text(value, "title", required=False)
    slug = jf.text(value, "slug", required=False)
    if not (title or slug):
        raise jf.FieldError('field "title": missing (a problem needs a title or a slug)')
    ident = ""
    for name in ("id", "frontend_id", "question_id"):
        if value.get(name) is not None:
            raw = value[name]
            if not isinstance(raw, str | int) or isinstance(raw, bool):
                raise jf.FieldError(f'field "{name}": expected a string or a number, got {json_type(raw)}')
            ident = str(raw)
            break
    field = "description" if "description" in value else "content"
    description = jf.text(value, field, label=field)
    if not description.strip():
        raise jf.FieldError(f'field "{field}": empty')
    problem = {
        "id": ident,
        "title": title or slug,
        "slug": slug,
        "description": description,
        "explanation": jf.text(value, "explanation", required=False),
        "solutions": _solutions(value.get("solutions")),
    }
    return problem_content(problem, jf.extra(value, KNOWN) or None)


def _solutions(value: Any) -> list[dict[str, str]]:
    if value is None:
        raise jf.FieldError('field "solutions": missing')
    found: list[dict[str, str]] = []
    if isinstance(value, dict):
        for lang, code in value.items():
            if not isinstance(code, str):
                raise jf.FieldError(f'field "solutions.{lang}": expected the code as a string, got {json_type(code)}')
            found.append({"lang": language_name(lang), "code": code, "explanation": ""})
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = f"solutions[{index}]"
            item = jf.item_object(item, label, 'an object {"lang", "code"}')
            lang = jf.text(item, "lang" if "lang" in item else "language", label=f"{label}.lang")
            code = jf.text(item, "code", label=f"{label}.code")
            explanation = jf.text(item, "explanation", required=False, label=f"{label}.explanation")
            found.append({"lang": language_name(lang), "code": code, "explanation": explanation})
    else:
        raise jf.FieldError(f'field "solutions": expected an object or a list, got {json_type(value)}')
    found = [solution for solution in found if solution["code"].strip()]
    if not found:
        raise jf.FieldError('field "solutions": no solution with code')
    return found


def _is_problem(value: dict[str, Any]) -> bool:
    has_text = isinstance(value.get("description"), str) or isinstance(value.get("content"), str)
    return has_text and isinstance(value.get("solutions"), dict | list) and ("title" in value or "slug" in value)


# --- a doocs/leetcode folder ---------------------------------------------------------------------


def problem_dirs(root: Path) -> list[Path]:
    """The problem folders under ``root`` (or ``root`` itself), in path order."""
    if (root / "README.md").is_file() and _PROBLEM_DIR.match(root.name):
        return [root]
    found = [
        readme.parent
        for readme in root.rglob("README.md")
        if _PROBLEM_DIR.match(readme.parent.name) and not any(p.startswith(".") for p in readme.parts)
    ]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def parse_readme(text: str) -> dict[str, Any]:
    """The problem a doocs README describes; solutions from its fenced blocks, by method.

    Returns ``{"id", "title", "slug", "description", "methods": [{"explanation", "code": {lang: code}}]}``.
    """
    body = _strip_front_matter(text)
    match = _TITLE.search(body)
    ident, title, url = (match["id"].strip(), match["title"].strip(), match["url"]) if match else ("", "", "")
    slug = url.rstrip("/").rsplit("/", 1)[-1] if "/problems/" in url else ""
    description = _section(body, "题目描述")
    solution = _section(body, "解法")
    return {
        "id": ident,
        "title": title,
        "slug": slug,
        "description": _COMMENT.sub("", description).strip(),
        "methods": _methods(solution),
    }


def _strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5 :]
    return text


def _section(body: str, name: str) -> str:
    """The text under ``## name`` up to the next ``## `` heading (fenced blocks are not headings)."""
    lines = body.split("\n")
    out: list[str] = []
    inside = False
    fence = ""
    for line in lines:
        if fence:
            if line.startswith(fence) and not line.strip("`").strip():
                fence = ""
            if inside:
                out.append(line)
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened["fence"]
        elif line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip() == name
            continue
        if inside:
            out.append(line)
    return "\n".join(out)


def _methods(solution: str) -> list[dict[str, Any]]:
    """Per method: its explanation (heading and text before the code tabs) and its code by language."""
    methods: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    prose: list[str] = []
    lang = ""
    lines = solution.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened["fence"]
            code: list[str] = []
            i += 1
            while i < len(lines) and not (lines[i].startswith(fence) and not lines[i].strip("`").strip()):
                code.append(lines[i])
                i += 1
            i += 1
            if lang and lang != "..." and any(c.strip() for c in code):
                if current is None:
                    current = _new_method(methods, prose)
                current["code"].setdefault(language_name(lang), "\n".join(code) + "\n")
            lang = ""
            continue
        heading = _LANG_HEADING.match(line)
        if heading and (line.startswith("#### ") or "**" in line):
            lang = heading["lang"].strip()
        elif line.startswith("### "):
            current = None
            prose = [line[4:].strip()]
        elif "<!-- tabs:start -->" in line:
            current = _new_method(methods, prose)
            prose = []
        elif current is None:
            prose.append(line)
        i += 1
    return methods


def _new_method(methods: list[dict[str, Any]], prose: list[str]) -> dict[str, Any]:
    text = _COMMENT.sub("", "\n".join(prose))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    # Old READMEs bold the method name ("**方法一：哈希表**"); the new ones make it a heading.
    method = {"explanation": text, "code": {}}
    methods.append(method)
    return method


def folder_problem(folder: Path) -> dict[str, Any]:
    """A doocs problem folder → the problem (README text plus the Solution files' code)."""
    readme = parse_readme((folder / "README.md").read_text(encoding="utf-8"))
    methods = readme["methods"]
    files: dict[int, dict[str, str]] = {}
    for file in sorted(folder.iterdir()):
        match = _SOLUTION_FILE.match(file.name)
        if not match or not file.is_file() or match[2] not in LANGUAGE_NAMES:
            continue
        number = int(match[1] or 1)
        # newline="" keeps the file's bytes: a CRLF file stays CRLF.
        with file.open(encoding="utf-8", newline="") as handle:
            files.setdefault(number, {})[LANGUAGE_NAMES[match[2]]] = handle.read()
    while len(methods) < max(files, default=0):
        methods.append({"explanation": "", "code": {}})
    solutions: list[dict[str, str]] = []
    for number, method in enumerate(methods, start=1):
        code = dict(method["code"])
        for lang, text in files.get(number, {}).items():
            code[lang] = text  # the file is the code; the README's block is a copy of it
        for lang, text in code.items():
            if text.strip():
                solutions.append({"lang": lang, "code": text, "explanation": method["explanation"]})
    title = readme["title"] or re.sub(r"^\d+\.\s*", "", folder.name)
    ident = readme["id"] or str(int(folder.name.split(".", 1)[0]))
    return {
        "id": ident,
        "title": title,
        "slug": readme["slug"],
        "description": readme["description"],
        "explanation": "",
        "solutions": solutions,
    }


def _read_folder(root: Path) -> Iterator[Record | BadRecord]:
    for folder in problem_dirs(root):
        member = (folder / "README.md").relative_to(root).as_posix() if folder != root else "README.md"
        try:
            raw = (folder / "README.md").read_text(encoding="utf-8")
            problem = folder_problem(folder)
        except (OSError, UnicodeDecodeError) as error:
            yield BadRecord(1, f"cannot read the problem: {error}", member)
            continue
        if not problem["description"].strip():
            yield BadRecord(1, 'no "## 题目描述" section', member)
        elif not problem["solutions"]:
            yield BadRecord(1, "no solution code (no Solution file, no fenced block under 解法)", member)
        else:
            yield Record(Kind.CODE, problem_content(problem), 1, raw, member)


# --- the reader ----------------------------------------------------------------------------------


def detect(sniff: Sniff) -> int:
    """95 for a file of problem objects; 90 for a folder with doocs problem folders."""
    if sniff.is_dir:
        one_problem = _PROBLEM_DIR.match(sniff.path.name) and "README.md" in sniff.members
        return 90 if one_problem or any(_MEMBER.search(member) for member in sniff.members) else 0
    values = jf.objects(sniff)
    return jf.scaled(95, jf.share(values, _is_problem))


def read(path: Path, options: ReadOptions) -> Iterator[Record | BadRecord]:
    if path.is_dir():
        return _read_folder(path)
    return jf.read_json_records(path, options, Kind.CODE, convert)


READER = Reader(
    name="leetcode-problems",
    title="LeetCode problems (JSON/JSONL, or a doocs/leetcode folder)",
    detect=detect,
    read=read,
)
