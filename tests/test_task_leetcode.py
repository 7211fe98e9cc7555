"""COIG LeetCode instructions: the templates, the seeded generator, the problems reader (a JSON Lines
file and a doocs/leetcode folder), the local runner as one undoable operation, and the whole way from
problems to COIG LeetCode and Alpaca exports through ``winnow run PROJECT leetcode``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from app import exporter, importer
from app.formats import leetcode_problems as lp
from app.formats import registry
from app.formats.base import ReadOptions
from app.records import BadRecord, Record
from app.store import Project, ProjectError, ops, query
from app.tasks import get_task, leetcode
from workers import cli_run, local_tasks

DATA = Path(__file__).parent / "data" / "leetcode"
PROBLEMS = DATA / "problems.jsonl"
DOOCS = DATA / "doocs"
RANGE = DOOCS / "solution" / "0000-0099"
TWO_SUM = RANGE / "0001.Two Sum"
PARENTHESES = RANGE / "0020.Valid Parentheses"
STAIRS = RANGE / "0070.Climbing Stairs"

_FENCE = re.compile(r"^(`{3,})([^\n`]*)\n(.*?)\n?^\1$", re.S | re.M)


def read(path: Path) -> list[Record | BadRecord]:
    return list(registry.reader("leetcode-problems").read(path, ReadOptions()))


def problems(path: Path) -> list[dict]:
    return [r.content["problem"] for r in read(path) if isinstance(r, Record)]


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(tag, code) of each fenced block, the code as the fence holds it (its last newline is the fence's)."""
    found = []
    for match in re.finditer(r"^(`{3,})([^\n`]*)\n", text, re.M):
        fence, start = match[1], match.end()
        end = text.index(f"\n{fence}", start - 1)  # the closing fence starts on its own line
        found.append((match[2], text[start : end + 1]))
    return found


# --- templates ------------------------------------------------------------------------------------


def test_the_shipped_templates_are_38_over_the_four_task_types() -> None:
    chosen = leetcode.templates()
    assert chosen.count() == 38
    assert set(chosen.by_type) == set(leetcode.TASK_TYPES)
    assert all(len(group) >= 9 for group in chosen.by_type.values())
    assert chosen.version == "leetcode-templates-v1"
    everything = [t for group in chosen.by_type.values() for t in group]
    assert len(set(everything)) == 38, "no template twice"
    assert all(re.search(r"[\u4e00-\u9fff]", t) for t in everything), "every template is Chinese"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[code-to-text]\na\n[text-to-code]\nb\n[code-to-text-with-explanation]\nc\n", "no templates for"),
        ("a template first\n[code-to-text]\n", "before any [task-type]"),
        ("[explain-code]\na\n", "unknown task type [explain-code]"),
        ("", "no templates for code-to-text"),
    ],
)
def test_broken_template_files_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        leetcode.parse_templates(text)


def test_a_template_may_hold_braces_and_fills_lang_and_title() -> None:
    text = "\n".join(f"[{name}]\n用 {{lang}} 写 {{title}}，返回 {{}} 或 {{x}}" for name in leetcode.TASK_TYPES)
    chosen = leetcode.parse_templates(text)
    problem = {"title": "两数之和", "slug": "two-sum", "description": "d", "solutions": [{"lang": "Go", "code": "x"}]}
    (sample,) = leetcode.generate(problem, 1, chosen)
    assert sample["instruction"] == "用 Go 写 两数之和，返回 {} 或 {x}"
    assert sample["leetcode"]["templates"] == "unversioned"


# --- the generator --------------------------------------------------------------------------------


def _problem(**changes: object) -> dict:
    problem = {
        "id": "9",
        "title": "回文数",
        "slug": "palindrome-number",
        "description": "<p>判断整数 <code>x</code> 是否是回文数。</p>",
        "explanation": "",
        "solutions": [
            {"lang": "Python3", "code": "class Solution:\n    pass\n", "explanation": ""},
            {"lang": "C++", "code": "int f() { return 0; }", "explanation": ""},
            {"lang": "Go", "code": "func f() {}\n", "explanation": ""},
        ],
    }
    problem.update(changes)
    return problem


def test_one_sample_per_language_implementation_in_the_coig_leetcode_shape() -> None:
    samples = leetcode.generate(_problem(), 5)
    assert [s["extra"]["program_lang"] for s in samples] == ["Python3", "C++", "Go"]
    assert [s["language"] for s in samples] == ["python", "cpp", "go"]
    for index, sample in enumerate(samples):
        assert list(sample) == ["instruction", "input", "output", "language", "extra", "leetcode"]
        task_type = sample["extra"]["task_type"]
        assert task_type in (leetcode.CODE_TO_TEXT, leetcode.TEXT_TO_CODE), "no explanation: the plain types"
        code = _problem()["solutions"][index]["code"]
        block = lp.fenced(code, sample["extra"]["program_lang"])
        if task_type == leetcode.TEXT_TO_CODE:
            assert (sample["input"], sample["output"]) == ("判断整数 `x` 是否是回文数。", block)
        else:
            assert (sample["input"], sample["output"]) == (block, "判断整数 `x` 是否是回文数。")
        assert sample["instruction"] in [
            t.replace("{lang}", sample["extra"]["program_lang"]).replace("{title}", "回文数")
            for t in leetcode.templates().by_type[task_type]
        ]
        assert sample["leetcode"]["implementation"] == index


def test_an_explanation_gives_the_with_explanation_variants() -> None:
    samples = leetcode.generate(_problem(explanation="反转一半数字再比较。"), 11)
    for sample in samples:
        task_type = sample["extra"]["task_type"]
        assert task_type.endswith("-with-explanation")
        if task_type.startswith(leetcode.TEXT_TO_CODE):
            assert sample["output"].startswith("反转一半数字再比较。\n\n```")
        else:
            assert sample["output"] == "判断整数 `x` 是否是回文数。\n\n反转一半数字再比较。"


def test_the_same_seed_gives_the_same_samples_and_other_seeds_other_choices() -> None:
    problem = _problem(solutions=[{"lang": "Python3", "code": f"x = {i}\n"} for i in range(8)])
    assert leetcode.generate(problem, 42) == leetcode.generate(json.loads(json.dumps(problem)), 42)
    choices = {
        seed: [(s["extra"]["task_type"], s["leetcode"]["template"]) for s in leetcode.generate(problem, seed)]
        for seed in range(5)
    }
    assert len({tuple(c) for c in choices.values()}) == 5, "every seed draws differently"
    drawn = {kind for c in choices.values() for kind, _ in c}
    assert drawn == {leetcode.CODE_TO_TEXT, leetcode.TEXT_TO_CODE}, "both directions are drawn"


def test_a_problems_draws_do_not_depend_on_the_other_problems_of_the_run() -> None:
    alone = leetcode.generate(_problem(), 7)
    leetcode.generate(_problem(slug="other"), 7)  # drawing for another problem first changes nothing
    assert leetcode.generate(_problem(), 7) == alone


@pytest.mark.parametrize(
    "code",
    [
        "print(1)",  # no closing newline
        "print(1)\n\n\n",  # blank lines at the end
        "s = '```'\nt = '````'\n",  # backtick runs inside the code
        "int main() {\r\n  return 0;\r\n}\r\n",  # CRLF
        "\tindented\twith tabs  \n",
        "",
    ],
)
def test_code_blocks_keep_the_code_byte_for_byte(code: str) -> None:
    block = lp.fenced(code, "Python3")
    ((tag, inside),) = code_blocks(block)
    assert tag == "python"
    assert inside == (code if code.endswith("\n") else code + "\n")
    assert inside.removesuffix("\n") == code.removesuffix("\n") and block.startswith("```")


def test_a_problem_without_description_or_code_gives_no_samples() -> None:
    with pytest.raises(ValueError, match="no description"):
        leetcode.generate(_problem(description="  "), 1)
    with pytest.raises(ValueError, match="no solution code"):
        leetcode.generate(_problem(solutions=[{"lang": "Go", "code": "  \n"}]), 1)
    with pytest.raises(ValueError, match="no solution code"):
        leetcode.generate(_problem(solutions="not a list"), 1)


def test_the_task_is_local_and_sends_no_request() -> None:
    task = get_task("leetcode")
    assert task.local and task.kinds == ("code",)
    with pytest.raises(ValueError, match="runs locally"):
        task.build({}, "chat", "")
    with pytest.raises(ValueError, match="sends nothing to a service"):
        task.check_style("chat")


# --- descriptions ---------------------------------------------------------------------------------


def test_html_descriptions_become_text_and_markdown_stays() -> None:
    html = (
        "<p>给定数组&nbsp;<code>nums</code>，返回 <strong>和</strong>。</p>\n\n<p>&nbsp;</p>\n"
        "<pre>\n<strong>输入：</strong>nums = [1,  2]\n<strong>输出：</strong>3\n</pre>\n"
        "<ul>\n\t<li><code>1 &lt;= n &lt;= 10<sup>4</sup></code></li>\n\t<li>第二条</li>\n</ul>\n"
        '<ol><li>一</li><li>二</li></ol><img alt="图" src="a.png">'
    )
    assert lp.description_text(html) == (
        "给定数组 `nums`，返回 和。\n\n输入：nums = [1,  2]\n输出：3\n\n"
        "- `1 <= n <= 10^4`\n- 第二条\n\n1. 一\n2. 二\n\n![图](a.png)"
    )
    markdown = "  给定 `s`，返回 **反转**。\n\n```\n<b>不是 HTML</b>\n```\n"
    assert lp.description_text(markdown) == markdown.strip()


# --- the reader -----------------------------------------------------------------------------------


def test_detection_picks_the_problems_reader_for_the_file_and_the_folders() -> None:
    for path in (PROBLEMS, DOOCS, DOOCS / "solution", RANGE, TWO_SUM):
        assert registry.detect(path).reader.name == "leetcode-problems", path
    coig = Path(__file__).parent / "data" / "json" / "leetcode_instructions.jsonl"
    assert registry.detect(coig).reader.name == "coig-leetcode"


def test_a_problems_file_with_list_and_dict_solutions() -> None:
    found = problems(PROBLEMS)
    assert [(p["id"], p["title"], p["slug"]) for p in found] == [
        ("344", "反转字符串", "reverse-string"),
        ("9", "回文数", "palindrome-number"),
        ("", "Markdown 代码块计数", "count-fences"),
    ]
    assert [s["lang"] for p in found for s in p["solutions"]] == [
        "Python3", "C++", "Java", "Go", "JavaScript", "Python3", "TypeScript",
    ]  # fmt: skip
    assert found[0]["solutions"][0]["explanation"].startswith("双指针")
    assert found[1]["explanation"].startswith("负数和末位为 0")
    raw = [json.loads(line) for line in PROBLEMS.read_text(encoding="utf-8").splitlines()]
    assert found[2]["solutions"][1]["code"] == raw[2]["solutions"]["TypeScript"], "CRLF code kept as is"
    first = read(PROBLEMS)[0].content
    assert first["extra"] == {"difficulty": "简单"}
    assert first["instruction"] == "344. 反转字符串" and first["language"] == "python"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"description": "d", "solutions": {"Go": "x"}}, 'field "title": missing'),
        ({"title": "t", "solutions": {"Go": "x"}}, 'field "content": missing'),
        ({"title": "t", "description": " ", "solutions": {"Go": "x"}}, 'field "description": empty'),
        ({"title": "t", "description": "d"}, 'field "solutions": missing'),
        ({"title": "t", "description": "d", "solutions": "x"}, "expected an object or a list, got string"),
        ({"title": "t", "description": "d", "solutions": {"Go": 1}}, 'field "solutions.Go": expected the code'),
        ({"title": "t", "description": "d", "solutions": [{"lang": "Go"}]}, 'field "solutions[0].code": missing'),
        ({"title": "t", "description": "d", "solutions": ["x"]}, 'field "solutions[0]": expected an object'),
        ({"title": "t", "description": "d", "solutions": {"Go": " "}}, "no solution with code"),
        ({"title": "t", "id": [1], "description": "d", "solutions": {"Go": "x"}}, 'field "id": expected a string'),
    ],
)
def test_unusable_problem_records_are_bad_records_with_the_field(tmp_path: Path, record: dict, reason: str) -> None:
    path = tmp_path / "p.jsonl"
    good = {"title": "好", "description": "d", "solutions": {"py": "x = 1\n"}}
    path.write_text(json.dumps(good) + "\n" + json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    first, second = read(path)
    assert isinstance(first, Record) and first.content["problem"]["solutions"][0]["lang"] == "Python3"
    assert isinstance(second, BadRecord) and second.line == 2
    assert reason in second.reason


def test_a_doocs_folder_gives_one_problem_per_folder_with_the_files_as_the_code() -> None:
    records = read(DOOCS)
    assert [r.member for r in records] == [
        "solution/0000-0099/0001.Two Sum/README.md",
        "solution/0000-0099/0020.Valid Parentheses/README.md",
        "solution/0000-0099/0070.Climbing Stairs/README.md",
    ]
    two_sum, parentheses, stairs = (r.content["problem"] for r in records)
    assert (two_sum["id"], two_sum["title"], two_sum["slug"]) == ("1", "两数之和", "two-sum")
    assert two_sum["description"].startswith("<p>给定一个整数数组 <code>nums</code>")
    assert two_sum["description"].endswith("</ul>"), "the description section only, without its markers"
    # README order of the tabs, then a file the README does not show (Rust); Go only in the README.
    assert [s["lang"] for s in two_sum["solutions"]] == ["Python3", "Java", "Go", "Rust"]
    by_lang = {s["lang"]: s["code"] for s in two_sum["solutions"]}
    assert by_lang["Python3"] == (TWO_SUM / "Solution.py").read_text(encoding="utf-8")
    assert by_lang["Rust"] == (TWO_SUM / "Solution.rs").read_text(encoding="utf-8")
    assert not by_lang["Rust"].endswith("\n")
    assert by_lang["Go"].startswith("func twoSum(nums []int, target int) []int {\n\td := map[int]int{}")
    assert two_sum["solutions"][0]["explanation"].startswith("方法一：哈希表\n\n用哈希表 $d$")
    assert "tabs" not in two_sum["solutions"][0]["explanation"]
    # The older layout: ### **Python3** headings, a bare explanation, the "..." tab left out.
    assert (parentheses["id"], parentheses["slug"]) == ("20", "valid-parentheses")
    assert [s["lang"] for s in parentheses["solutions"]] == ["Python3", "Go"]
    assert parentheses["solutions"][1]["code"] == (PARENTHESES / "Solution.go").read_text(encoding="utf-8")
    assert parentheses["solutions"][0]["explanation"].startswith("栈实现。")
    # Two methods: Solution2.py is method two, with method two's explanation.
    assert [(s["lang"], s["explanation"][:6]) for s in stairs["solutions"]] == [
        ("Python3", "方法一：递推"),
        ("TypeScript", "方法一：递推"),
        ("Python3", "方法二：矩阵"),
    ]
    assert stairs["solutions"][2]["code"] == (STAIRS / "Solution2.py").read_text(encoding="utf-8")


def test_one_problem_folder_a_range_folder_and_a_bad_folder(tmp_path: Path) -> None:
    assert [r.content["problem"]["id"] for r in read(TWO_SUM)] == ["1"]
    assert len(read(RANGE)) == 3
    broken = tmp_path / "solution" / "0002.Add Two Numbers"
    broken.mkdir(parents=True)
    (broken / "README.md").write_text("# [2. 两数相加](https://leetcode.cn/problems/add-two-numbers)\n\n## 解法\n")
    shutil.copytree(TWO_SUM, tmp_path / "solution" / "0001.Two Sum")
    good, bad = sorted(read(tmp_path), key=lambda r: isinstance(r, BadRecord))
    assert isinstance(good, Record) and isinstance(bad, BadRecord)
    assert bad.member == "solution/0002.Add Two Numbers/README.md" and "题目描述" in bad.reason


def test_a_file_the_readme_shows_differently_wins_byte_for_byte(tmp_path: Path) -> None:
    folder = tmp_path / "0001.Two Sum"
    shutil.copytree(TWO_SUM, folder)
    (folder / "Solution.java").write_bytes(b"class Solution {\r\n    // the file's own version\r\n}\r\n")
    (java,) = [s for s in problems(folder)[0]["solutions"] if s["lang"] == "Java"]
    assert java["code"] == "class Solution {\r\n    // the file's own version\r\n}\r\n"


# --- the runner -----------------------------------------------------------------------------------


def _generated(project: Project) -> list[dict]:
    return [s.content for s in query.iter_samples(project, query.SampleFilter(subset=("leetcode",)))]


def test_the_run_is_one_undoable_operation_and_a_rerun_adds_nothing(project: Project) -> None:
    importer.import_file(project, PROBLEMS)
    ids = query.sample_ids(project)
    report = local_tasks.run(project, local_tasks.LocalSpec("leetcode", ids, seed=9))
    assert (report.problems, report.created, report.already) == (3, 7, 0)
    assert report.changes is not None and ops.can_undo(project) == "generate 7 LeetCode instructions (seed 9)"
    assert len(_generated(project)) == 7
    again = local_tasks.run(project, local_tasks.LocalSpec("leetcode", query.sample_ids(project), seed=9))
    assert (again.created, again.already, again.others) == (0, 7, 7)
    other = local_tasks.run(project, local_tasks.LocalSpec("leetcode", ids, seed=10))
    assert other.created == 7 and len(_generated(project)) == 14
    ops.undo(project)
    ops.undo(project)
    assert _generated(project) == []
    ops.redo(project)
    assert len(_generated(project)) == 7


def test_a_cancelled_run_adds_nothing(project: Project) -> None:
    importer.import_file(project, PROBLEMS)
    calls = iter(range(100))
    with pytest.raises(ProjectError, match="cancelled"):
        local_tasks.run(
            project,
            local_tasks.LocalSpec("leetcode", query.sample_ids(project), 1),
            cancelled=lambda: next(calls) >= 2,
        )
    assert _generated(project) == [] and query.count(project) == 3


def test_the_estimate_counts_problems_and_implementations(project: Project) -> None:
    importer.import_file(project, DOOCS)
    spec = local_tasks.LocalSpec("leetcode", query.sample_ids(project), seed=4)
    planned = local_tasks.estimate(project, spec)
    assert (planned.samples, planned.problems, planned.implementations, planned.to_write) == (3, 3, 9, 9)
    local_tasks.run(project, spec)
    again = local_tasks.estimate(project, local_tasks.LocalSpec("leetcode", query.sample_ids(project), seed=4))
    assert (again.samples, again.problems, again.already, again.to_write) == (12, 3, 9, 0)


# --- end to end: files → import → winnow run → exports ---------------------------------------------


def _exported(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_problems_and_a_doocs_folder_become_coig_leetcode_and_alpaca_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lc.winnow"
    with Project.create(path, name="力扣") as project:
        assert importer.import_file(project, PROBLEMS).imported == 3
        assert importer.import_file(project, DOOCS).imported == 3

    assert cli_run.main(["run", str(path), "leetcode", "--seed", "3", "--where", "subset=doocs"]) == 0
    assert cli_run.main(["run", str(path), "leetcode", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "9 instruction samples from 3 problems" in out
    assert "7 instruction samples from 6 problems, 9 already generated with this seed" in out

    coig, alpaca = tmp_path / "leetcode_instructions.jsonl", tmp_path / "alpaca.json"
    with Project.open(path) as project:
        where = query.SampleFilter(subset=("leetcode",))
        exporter.export(project, coig, format_name="coig-leetcode", where=where)
        exporter.export(project, alpaca, format_name="alpaca-json", where=where)
        generated = _generated(project)
    records = _exported(coig)
    assert len(records) == 16
    assert all(list(r) == ["instruction", "input", "output", "task_type", "program_lang"] for r in records)

    # Exactly as written: the Valid Parentheses Python3 implementation (doocs, older layout), seed 3.
    description = (
        "给定一个只包括 `'('`，`')'`，`'{'`，`'}'`，`'['`，`']'` 的字符串 `s` ，判断字符串是否有效。\n\n"
        "有效字符串需满足：\n\n1. 左括号必须用相同类型的右括号闭合。\n2. 左括号必须以正确的顺序闭合。\n\n"
        '示例 1：\n\n输入：s = "()[]{}"\n输出：true'
    )
    explanation = "栈实现。遇到左括号入栈；遇到右括号时弹出栈顶，判断是否配对。遍历结束时栈为空，说明字符串有效。"
    code = (PARENTHESES / "Solution.py").read_text(encoding="utf-8")
    assert records[4] == {
        "instruction": "请用 Python3 完成以下题目，并在代码前解释你的做法。",
        "input": description,
        "output": f"{explanation}\n\n```python\n{code}```",
        "task_type": "text-to-code-with-explanation",
        "program_lang": "Python3",
    }
    # The palindrome Go implementation (problems file, HTML description, general explanation), seed 3.
    go = json.loads(PROBLEMS.read_text(encoding="utf-8").splitlines()[1])["solutions"]["Go"]
    assert records[12] == {
        "instruction": "这段代码背后的问题是什么？它用了什么思路？请详细说明。",
        "input": f"```go\n{go}```",
        "output": "给你一个整数 `x` ，如果 `x` 是一个回文整数，返回 `true` ；否则，返回 `false` 。\n\n"
        "回文数是指正序（从左向右）和倒序（从右向左）读都是一样的整数。\n\n- 例如，`121` 是回文，而 `123` 不是。\n\n"
        "负数和末位为 0 的正数都不是回文。把后一半数字反转，与前一半比较即可，不需要转成字符串。",
        "task_type": "code-to-text-with-explanation",
        "program_lang": "Go",
    }

    # Every code block is its source file (or README block) byte for byte.
    sources = {
        (p["slug"], s["lang"], i): s["code"]
        for p in problems(PROBLEMS) + problems(DOOCS)
        for i, s in enumerate(p["solutions"])
    }
    for record, content in zip(records, generated, strict=True):
        mark = content["leetcode"]
        expected = sources[(mark["problem"], record["program_lang"], mark["implementation"])]
        side = record["output"] if record["task_type"].startswith("text-to-code") else record["input"]
        ((_, inside),) = code_blocks(side)
        assert inside == (expected if expected.endswith("\n") else expected + "\n")

    # The COIG file reads back as the same samples; the Alpaca file holds the same records (Alpaca's
    # writer keeps the extra fields, here task_type and program_lang, after its own three).
    back = [r.content for r in registry.reader("coig-leetcode").read(coig, ReadOptions())]
    assert back == [{k: v for k, v in c.items() if k != "leetcode"} for c in generated]
    assert json.loads(alpaca.read_text(encoding="utf-8")) == records


def test_the_cli_needs_no_provider_and_reports_a_project_without_problems(
    loaded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    path = loaded.path
    loaded.close()
    assert cli_run.main(["run", str(path), "leetcode", "--estimate"]) == 0
    assert "estimate: 0 problems among 0 samples, 0 language implementations" in capsys.readouterr().out
    assert cli_run.main(["run", str(path), "leetcode", "--where", "kind=instruction"]) == 0
