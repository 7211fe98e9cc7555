"""Hostile input: every reader, fed mutated real samples and generated nastiness, reports cleanly.

No crash (only Records, BadRecords or a FormatError with a message), no hang (each case runs under a
SIGALRM deadline), every bad record named by file:line (or file!member:line). Huge fields, deep
nesting, invalid UTF-8, lone surrogates, NUL bytes; an archive bomb for CCMC; symlinks and path
tricks around work packages.

CI: about 2,000 cases; ``WINNOW_RELIABILITY=full``: about 20,000.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import random
import re
import shutil
import signal
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import importer
from app.formats import registry
from app.formats.base import FormatError, ReadOptions
from app.packages import assign, workpackage
from app.records import BadRecord, Record
from app.store import Project, ProjectError, query
from tests.reliability import report
from tests.reliability.harness import alpaca_records, make_project

FULL = os.environ.get("WINNOW_RELIABILITY") == "full"
MUTATIONS_PER_SAMPLE = 1_500 if FULL else 180  # 9 samples: 1,620 cases in CI
EXAMPLES = 2_000 if FULL else 150  # per generated-file test below; fewer where a case is costly
HEAVY_EXAMPLES = 200 if FULL else 30
CASE_SECONDS = 20
"""A reader that takes longer than this on a file of a few KB hangs."""

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
READERS = [reader.name for reader in registry.readers()]
WHERE = re.compile(r"^(?P<file>.+?)(?:!(?P<member>.*))?:(?P<line>\d+): .+", re.DOTALL)

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    derandomize=True,
)


class Hang(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def expire(_signum, _frame):
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_all(name: str, path: Path) -> tuple[int, int, str]:
    """(records, bad records, FormatError text or '') — asserting the clean-report contract."""
    records = bad = 0
    try:
        with deadline(CASE_SECONDS):
            for item in registry.reader(name).read(path, ReadOptions()):
                assert isinstance(item, Record | BadRecord), f"{name} yielded {type(item).__name__}"
                if isinstance(item, Record):
                    records += 1
                    assert item.line >= 1 and isinstance(item.content, dict)
                else:
                    bad += 1
                    where = item.where(str(path))
                    match = WHERE.match(where)
                    assert match and match["file"] == str(path) and int(match["line"]) >= 1, where
                    assert item.reason.strip(), where
    except FormatError as error:
        assert str(error).strip(), f"{name}: an empty FormatError"
        return records, bad, str(error)
    return records, bad, ""


def read_everywhere(path: Path, readers: list[str] | None = None) -> None:
    """Detection and then each reader: clean reports only."""
    try:
        with deadline(CASE_SECONDS):
            registry.detect(path)
    except FormatError as error:
        assert str(error).strip()
    for name in readers or READERS:
        read_all(name, path)


# --- mutated real samples ---------------------------------------------------------------------------

NASTY = [
    b"\x00",
    b"\xff\xfe",
    b"\xed\xa0\x80",  # a UTF-8-encoded lone surrogate (CESU)
    b'"\\ud800"',
    b"\\ud83d",
    b"\xef\xbb\xbf",
    b"\r",
    b"\n\n\n",
    b"{",
    b"]",
    b'"',
    b",",
    b"\xe4\xb8",  # half a Chinese character
    b"null",
    b"[" * 5000,
    b'{"a":' * 3000,
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(7)
        at = rng.randrange(len(buf) + 1)
        if choice == 0 and buf:  # flip bits
            buf[min(at, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            buf[at:at] = rng.choice(NASTY)
        elif choice == 2:  # cut
            del buf[at:]
        elif choice == 3 and buf:  # duplicate a slice
            end = min(len(buf), at + rng.randint(1, 200))
            buf[at:at] = buf[at:end]
        elif choice == 4:  # a huge field
            buf[at:at] = b"\xe5\xad\x97" * rng.choice([10_000, 300_000])
        elif choice == 5 and buf:  # delete a slice
            del buf[at : at + rng.randint(1, 50)]
        else:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(buf)


def _sample_files() -> list[Path]:
    if not SAMPLES.is_dir():
        pytest.fail(f"the shared sample records are missing: expected them at {SAMPLES}")
    return sorted(SAMPLES.iterdir())


@pytest.mark.parametrize("sample", _sample_files(), ids=lambda p: p.name)
def test_mutated_real_samples(sample: Path, tmp_path: Path) -> None:
    rng = random.Random(sample.name)
    original = sample.read_bytes()
    suffix = sample.suffix
    cases = 0
    for number in range(MUTATIONS_PER_SAMPLE):
        path = tmp_path / f"m{number % 8}{suffix}"
        path.write_bytes(mutate(original, rng))
        # The detected reader and three others at random: every reader meets every kind of damage.
        read_everywhere(path, rng.sample(READERS, 3))
        cases += 1
    report.add(
        "hostile input",
        "mutated real samples of shared/samples, 9 files (bit flips, cuts, NUL, bad UTF-8, huge fields, nesting)",
        cases,
        cases,
        "detection + 3 readers each: only Records, BadRecords (file:line) or FormatError",
    )


# --- generated hostile files --------------------------------------------------------------------------


def _file(tmp_path: Path, data: bytes, suffix: str = ".jsonl") -> Path:
    path = tmp_path / f"case{suffix}"
    path.write_bytes(data)
    return path


WHAT = {
    "deep": "deeply nested JSON (to 200,000 levels), as a line and as an array",
    "huge": "fields of 1–17 MB in JSONL, CSV and plain text",
    "encoding": "invalid UTF-8, NUL bytes, lone surrogates (raw and escaped), in values and keys",
    "import": "any Unicode (escaped lone surrogates too) imported into a real project",
}


def _count(name: str) -> None:
    """One generated case passed: a row of the report (rows of the same kind add up)."""
    report.add("hostile input", WHAT[name], 1, 1, "only clean reports; no hang; project intact")


@SETTINGS
@given(
    depth=st.integers(min_value=1, max_value=200_000),
    opener=st.sampled_from(["[", '{"instruction":', '{"messages":[', '{"conversations":[{"value":']),
    as_line=st.booleans(),
)
def test_deeply_nested_json(tmp_path: Path, depth: int, opener: str, as_line: bool) -> None:
    body = (opener * depth).encode()
    data = b'{"instruction": "a", "output": "b"}\n' + body + b"\n" if as_line else b"[" + body
    read_everywhere(_file(tmp_path, data, ".jsonl" if as_line else ".json"))
    _count("deep")


@settings(SETTINGS, max_examples=HEAVY_EXAMPLES // 3)
@given(
    field=st.sampled_from(["instruction", "output", "input", "content"]),
    megabytes=st.sampled_from([1, 4, 17]),
    kind=st.sampled_from(["jsonl", "csv", "txt"]),
)
def test_huge_fields(tmp_path: Path, field: str, megabytes: int, kind: str) -> None:
    text = "字" * (megabytes * 2**20 // 3)
    if kind == "jsonl":
        data = json.dumps({"instruction": "x", field: text}, ensure_ascii=False).encode() + b"\n"
    elif kind == "csv":
        data = f"instruction,{field}\nx,{text}\n".encode()
    else:
        data = text.encode() + b"\n\n" + b"second passage\n"
    path = _file(tmp_path, data, f".{kind}")
    read_everywhere(path, ["alpaca", "csv", "tsv", "plain-text", "kun", "cqia", "openai-chat"])
    _count("huge")


@SETTINGS
@given(
    raw=st.binary(min_size=0, max_size=64),
    where=st.sampled_from(["instruction", "output", "key"]),
    encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]),
)
def test_invalid_text_nul_and_surrogates(tmp_path: Path, raw: bytes, where: str, encoding: str) -> None:
    good = json.dumps({"instruction": "翻译", "output": "好"}, ensure_ascii=False)
    nasty = raw + b"\x00\xed\xa0\x80\xff" + b"\\ud800"
    if where == "key":
        line = b'{"' + nasty + b'": "x", "instruction": "a", "output": "b"}'
    else:
        line = b'{"instruction": "a", "' + where.encode() + b'": "' + nasty + b'"}'
    try:
        head = (good + "\n").encode(encoding)
    except UnicodeEncodeError:
        head = b""
    data = head + line + b"\n" + (good + "\n").encode("utf-8")
    read_everywhere(_file(tmp_path, data), None)
    _count("encoding")


@settings(SETTINGS, max_examples=HEAVY_EXAMPLES)
@given(
    lines=st.lists(
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=40), min_size=1, max_size=6
    )
)
def test_import_never_stores_what_it_cannot_read(tmp_path: Path, lines: list[str]) -> None:
    """Through the importer into a real project: imported, or a clean ProjectError — and the project intact."""
    records = [
        {"instruction": text or "x", "output": text + "\ud800" if i % 2 else text} for i, text in enumerate(lines)
    ]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)  # ASCII escapes keep lone surrogates
    path = _file(tmp_path, data)
    project_path = tmp_path / f"p{abs(hash(data)) % 10**9}.winnow"
    with Project.create(project_path) as project:
        try:
            with deadline(CASE_SECONDS):
                importer.import_file(project, path, format_name="alpaca")
        except ProjectError as error:
            assert str(error).strip()
        assert project.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for sample in query.sample_ids(project):
            query.get_sample(project, sample)  # what was stored reads back
    project_path.unlink()
    _count("import")


# --- CCMC archive bomb ----------------------------------------------------------------------------------


def _tar_gz(path: Path, members: list[tuple[str, int | bytes]]) -> Path:
    """A .tar.gz whose members are given bytes or that many zero bytes (streamed, never in memory)."""
    with gzip.open(path, "wb", compresslevel=9) as gz, tarfile.open(fileobj=gz, mode="w|") as archive:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if isinstance(content, bytes):
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
            else:
                info.size = content
                archive.addfile(info, _Zeros(content))
    return path


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


DIALOGUE = json.dumps(
    {f"round_{i}": {"response": json.dumps({"Q": f"问{i}", "A": f"答{i}"}, ensure_ascii=False)} for i in range(5)},
    ensure_ascii=False,
).encode()


@pytest.mark.parametrize(
    "members",
    [
        pytest.param([("ok.json", DIALOGUE), ("bomb.json", 300 * 2**20)], id="one-huge-member"),
        pytest.param([("ok.json", DIALOGUE)] + [(f"z{i}.json", 15 * 2**20) for i in range(8)], id="many-big-members"),
    ],
)
def test_ccmc_archive_bomb_is_refused(tmp_path: Path, members: list) -> None:
    bomb = _tar_gz(tmp_path / "counterfactural_correction_multi_round_chat.tar.gz", members)
    assert bomb.stat().st_size < 2 * 2**20
    started = time.monotonic()
    with deadline(CASE_SECONDS):
        registry.detect(bomb)  # detection stops at the huge member
        with pytest.raises(FormatError, match="archive bomb"):
            list(registry.reader("coig-ccmc").read(bomb, ReadOptions()))
    elapsed = time.monotonic() - started
    assert elapsed < 10
    with Project.create(tmp_path / "bomb.winnow") as project:
        with pytest.raises(ProjectError, match="archive bomb"):
            importer.import_file(project, bomb, format_name="coig-ccmc")
        assert query.count(project) == 0
    report.add(
        "hostile input",
        f"CCMC .tar.gz bomb ({members[-1][0]}…, {bomb.stat().st_size // 1024} KB packed)",
        1,
        1,
        f"refused with a clear message in {elapsed:.1f} s, nothing imported",
    )


def test_ccmc_folder_with_symlink_loop_and_escape(tmp_path: Path) -> None:
    folder = tmp_path / "ccmc"
    folder.mkdir()
    (folder / "a.json").write_bytes(DIALOGUE)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("not a dialogue", encoding="utf-8")
    (folder / "escape.json").symlink_to(outside)
    (folder / "dangling.json").symlink_to(tmp_path / "nowhere")
    with deadline(CASE_SECONDS):
        records, _bad, error = read_all("coig-ccmc", folder)
    assert records >= 1 and not error
    report.add(
        "hostile input",
        "CCMC folder with a symlink loop, a link out of the folder, a dangling link",
        1,
        1,
        "terminates; each member a record or a bad record named by member:line",
    )


# --- work packages: symlinks and path tricks -------------------------------------------------------------


@pytest.fixture
def lead(tmp_path: Path):
    path = make_project(tmp_path / "lead.winnow", alpaca_records(30, random.Random(9)))
    with Project.open(path, author="lead") as project:
        yield project


@pytest.mark.parametrize("annotator", ["../../escape", "/tmp/absolute", "..", "a\\..\\b", "名字/子目录"])
def test_package_names_never_leave_their_folder(lead: Project, tmp_path: Path, annotator: str) -> None:
    assign.assign_batches(lead, query.sample_ids(lead), [annotator], seed=1)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    for batch in assign.batches(lead):
        target = outbox / workpackage.package_file_name(batch["name"])
        made = workpackage.export_package(lead, batch["name"], target)
        assert made.path.resolve().parent == outbox.resolve(), made.path
    assert sorted(p.parent for p in tmp_path.rglob("*.winnowpkg")) == [outbox]
    report.add(
        "work packages",
        "annotators named '../../escape', '/tmp/absolute', '..', 'a\\..\\b', '名字/子目录'",
        1,
        1,
        "the package file stays in its folder",
    )


def test_package_symlinks_are_refused_or_harmless(lead: Project, tmp_path: Path) -> None:
    assign.assign_batches(lead, query.sample_ids(lead), ["alice"], seed=1)
    batch = assign.batches(lead)[0]
    package = workpackage.export_package(lead, batch["name"], tmp_path / "alice").path
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    cases = 0
    # A "package" that is a link to another kind of file, to a folder, to nothing: refused.
    for name, target in [("to-text", victim), ("to-folder", tmp_path), ("dangling", tmp_path / "none")]:
        link = tmp_path / f"{name}.winnowpkg"
        link.symlink_to(target)
        result = workpackage.merge_packages(lead, [link])
        assert result.refused and all(r.error for r in result.refused), name
        cases += 1
    # A -wal beside the package that links elsewhere: read from a copy, the link's target untouched.
    wal = package.with_name(package.name + "-wal")
    wal.symlink_to(victim)
    try:
        result = workpackage.merge_packages(lead, [package])
    except ProjectError as error:
        assert str(error).strip()
    assert victim.read_text(encoding="utf-8") == "keep me"
    cases += 1
    # A package that is a link to a real package is just that package.
    wal.unlink()
    link = tmp_path / "link.winnowpkg"
    link.symlink_to(package)
    assert not workpackage.merge_packages(lead, [link]).refused
    cases += 1
    assert lead.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    report.add(
        "work packages",
        "symlinked packages (to text, a folder, nothing, a real package) and a symlinked -wal",
        cases,
        cases,
        "refused with a reason, or merged; nothing outside written",
    )


def test_package_with_path_tricks_inside(lead: Project, tmp_path: Path) -> None:
    """Paths stored inside a package (its sources table) are data, never opened or written."""
    assign.assign_batches(lead, query.sample_ids(lead), ["bob"], seed=1)
    batch = assign.batches(lead)[0]
    package = workpackage.export_package(lead, batch["name"], tmp_path / "bob").path
    with workpackage.open_project_file(package) as work:
        work.db.execute("INSERT INTO project(key, value) VALUES ('evil_path', '../../../etc/passwd')")
        work.db.conn.commit()
    # A changed project table is tampering the HMAC does not cover; merging still writes only the lead.
    before = sorted(p.name for p in tmp_path.iterdir())
    result = workpackage.merge_packages(lead, [package])
    assert all(r.error for r in result.refused)  # a refusal says why
    after = sorted(p.name for p in tmp_path.iterdir())
    assert set(after) - set(before) <= {package.name + "-wal", package.name + "-shm"}
    shutil.rmtree(tmp_path / "lead.backups", ignore_errors=True)
    report.add("work packages", "a package carrying '../' paths in its own tables", 1, 1, "nothing written outside")
