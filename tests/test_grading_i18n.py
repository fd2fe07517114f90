"""The grader's feedback in Chinese: every message in both languages, the right words, the Chinese book.

Every message of the grading library is an English template passed to ``_()`` or ``lazy()``
(:mod:`gpt2ln.grading.i18n`); ``gpt2ln.grading.messages_zh.MESSAGES`` holds its Chinese. A
message that exists in only one language fails here, and so does a translation whose
placeholders differ, a word ``book/locales/zh_CN/terms.toml`` says to avoid, or a section
heading that is not the Chinese edition's.
"""

import ast
import contextlib
import io
import re
import string
import tomllib

import pytest

from gpt2ln import links
from gpt2ln.grading import checks, i18n, report, sections
from gpt2ln.grading.messages_zh import MESSAGES
from gpt2ln.grading.mistakes import MISTAKES
from gpt2ln.paths import REPO_ROOT

SOURCES = sorted((REPO_ROOT / "gpt2ln" / "grading").glob("*.py")) + [
    REPO_ROOT / "autograder" / "engine" / "feedback.py", REPO_ROOT / "autograder" / "check.py"]
TERMS = tomllib.loads((REPO_ROOT / "book" / "locales" / "zh_CN" / "terms.toml").read_text())
CJK = re.compile(r"[\u4e00-\u9fff]")


def templates() -> dict[str, str]:
    """Every English template of the source (``_("...")``, ``lazy("...")``) -> where it is."""
    found, not_literal = {}, []
    for path in SOURCES:
        if path.name in ("i18n.py", "messages_zh.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "lazy"):
                where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.setdefault(first.value, where)
                else:
                    not_literal.append(where)
    assert not not_literal, f"_() and lazy() take a string literal, so that the catalog can be checked: {not_literal}"
    return found


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_message_exists_in_both_languages():
    source = templates()
    assert len(source) > 400, len(source)
    missing = {t: where for t, where in source.items() if t not in MESSAGES}
    assert not missing, f"no Chinese for these messages (add them to gpt2ln/grading/messages_zh.py): {missing}"
    stale = [t for t in MESSAGES if t not in source]
    assert not stale, f"translations of messages the source no longer has: {stale}"


def test_translations_keep_their_placeholders_and_are_chinese():
    for english, chinese in MESSAGES.items():
        assert fields(chinese) == fields(english), (english, chinese)
        words = "".join(literal for literal, _, _, _ in string.Formatter().parse(english))
        if len(re.findall(r"(?<![\w.=`])[A-Za-z]{3,}(?![\w=(`])", words)) >= 2:  # words, not names
            assert CJK.search(chinese), f"not translated: {english!r} -> {chinese!r}"


def test_translations_use_the_editions_terms():
    avoided = [(term["en"], word) for term in TERMS["term"] for word in term["avoid"]]
    for chinese in MESSAGES.values():
        for english, word in avoided:
            assert word not in chinese, f"{word!r} (the glossary says {english!r} one way): {chinese!r}"
    assert "误区一" in MESSAGES["Misconception 1"] and "误区三" in MESSAGES["Misconception 3"]


def test_the_headings_are_the_chinese_editions():
    assert sections.HEADINGS_ZH == TERMS["headings"]
    for section in sections.ALL:
        assert section.name_in("zh_CN") == f"第 {section.chapter} 章，{TERMS['headings'][section.title]}"


def test_a_chinese_reference_points_at_the_chinese_book_and_is_found():
    m1 = sections.MISCONCEPTION_1
    page = "chapters/05_misconceptions.html"
    assert m1.url_in("zh_CN") == f"{links.BOOK_URL}/zh_CN/{page}#{m1.anchor}"
    assert m1.url_in("en") == links.book_page("chapters/05_misconceptions", m1.anchor)
    assert m1.url_in("en") == f"{links.BOOK_URL}/{page}#{m1.anchor}"
    with i18n.using("zh"):
        reference = str(m1)
        text = f"误区一：……。参见{reference}。又见{sections.ATTENTION_MASK.name}。"
    assert reference == f"第 5 章，误区一：残差连接在层归一化之后 ({m1.url_in('zh_CN')})"
    found = sections.find(text)
    mask = sections.ATTENTION_MASK
    assert [(text[a:b], s) for a, b, s in found] == [(reference, m1), (mask.name_in("zh_CN"), mask)]
    assert [s.url for _, _, s in found] == [m1.url_in("zh_CN"), mask.url_in("zh_CN")]  # whatever GPT2LN_LANG says


def test_the_language_comes_from_the_environment_at_message_time(monkeypatch):
    monkeypatch.delenv("GPT2LN_LANG", raising=False)
    assert i18n.language() == "en"
    for value in ("zh", "zh_CN", "zh-CN", "ZH"):
        monkeypatch.setenv("GPT2LN_LANG", value)
        assert i18n.language() == "zh_CN"
    monkeypatch.setenv("GPT2LN_LANG", "fr")
    assert i18n.language() == "en"
    with i18n.using("zh"):
        assert i18n.language() == "zh_CN"


def failure(check, student) -> str:
    """The message of a failed check; its rendering (wrapped at ``report.WIDTH`` columns) is checked on the way."""
    with pytest.raises(AssertionError) as caught, contextlib.redirect_stdout(io.StringIO()):
        check(student)
    rendered = caught.value._render_traceback_()
    assert all(i18n.width(line) <= report.WIDTH or "://" in line for line in rendered), rendered
    return str(caught.value)


def test_misconception_1_is_diagnosed_in_chinese_and_in_english(monkeypatch):
    block = MISTAKES["residual_after_ln"].build
    monkeypatch.setenv("GPT2LN_LANG", "zh")
    chinese = failure(checks.pre_ln_block_forward, block)
    assert chinese.startswith("PreLNBlock：前向传播：你的 PreLNBlock 与一个已知错误相符。误区一：")
    assert "参见第 5 章，误区一：残差连接在层归一化之后" in chinese
    assert f"{links.BOOK_URL}/zh_CN/chapters/05_misconceptions.html#{sections.MISCONCEPTION_1.anchor}" in chinese
    assert "检查测得的结果：" in chinese and "Misconception" not in chinese and "See " not in chinese
    assert chinese.count("参见") == 1

    monkeypatch.delenv("GPT2LN_LANG")
    english = failure(checks.pre_ln_block_forward, block)
    assert english.startswith("PreLNBlock: forward: Your PreLNBlock matches a known mistake. Misconception 1: ")
    assert f"See {sections.MISCONCEPTION_1.name}" in english and not CJK.search(english)


def test_a_wrong_layernorm_and_a_crash_are_explained_in_chinese(monkeypatch):
    monkeypatch.setenv("GPT2LN_LANG", "zh_CN")
    unbiased = failure(checks.layernorm_forward, MISTAKES["unbiased_variance"].build)
    assert "你的 LayerNorm 用的是无偏方差" in unbiased and "参见第 2 章，层归一化：有偏方差" in unbiased

    def crashes(*args):
        raise NotImplementedError()

    assert failure(checks.layernorm_properties, crashes).startswith("LayerNorm：性质：尚未作答。")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        checks.gelu_properties(__import__("gpt2ln").gelu)
    assert printed.getvalue().startswith("通过    gelu：性质：")


def test_the_summary_in_chinese(monkeypatch):
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    monkeypatch.setattr(report, "RESULTS", {})
    monkeypatch.setenv("GPT2LN_LANG", "zh")
    assert str(report.summary()).startswith("还没有运行任何检查")
    with contextlib.suppress(AssertionError), contextlib.redirect_stdout(io.StringIO()):
        checks.gelu_forward(lambda x: x)
    with contextlib.redirect_stdout(io.StringIO()):
        checks.gelu_properties(__import__("gpt2ln").gelu)
    lines = str(report.summary()).split("\n")
    assert lines[0].split() == ["结果", "检查", "反馈"]
    assert lines[1].startswith("未通过  gelu：前向传播  你的 gelu 不符合")
    assert lines[2].startswith("通过    gelu：性质")
    assert lines[3:] == ["2 项检查中通过了 1 项。", "隐藏测试（其他形状、配置与 float64）只在评分时运行。"]
    assert report.without_title("gelu：性质：一切正常", "gelu：性质") == "一切正常"


def test_a_chinese_line_is_wrapped_by_its_width():
    text = "残差流" * 40 + "，参见" + str(sections.MISCONCEPTION_1) + "。\n    缩进的" + "捷径" * 30
    lines = report.wrap(text)
    assert all(i18n.width(line) <= report.WIDTH or "://" in line for line in lines), lines
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert not any(line.lstrip().startswith(("，", "。")) for line in lines)
    assert lines[-1].startswith("    ")


def chinese_notebook():
    """An executed Chinese student notebook, as ``check`` and the feedback page read it: one failed test, one hidden."""
    import nbformat

    def test(grade_id, source, outputs=()):
        meta = {"grade": True, "solution": False, "locked": True, "task": False, "grade_id": grade_id, "points": 2,
                "schema_version": 3}
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta}, outputs=list(outputs))

    with i18n.using("zh"):
        message = f"PreLNBlock：前向传播：你的 PreLNBlock 与一个已知错误相符。误区一：……参见{sections.MISCONCEPTION_1}"
        where = report.RAISED_AT.translated().format(where="Cell In[5], line 9: x = h + self.attn(h)")
    error = nbformat.v4.new_output("error", ename="CheckFailed", evalue=message, traceback=[message, "", where])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 作业 3：前置层归一化块\n写出残差流与捷径。"),
                test("test_pre_ln_block_forward", "checks.pre_ln_block_forward(PreLNBlock)", [error]),
                test("test_pre_ln_block_hidden", "# 隐藏测试")]
    return nb, message


def test_check_reports_a_chinese_notebook_in_chinese(monkeypatch):
    from autograder import check

    monkeypatch.delenv("GPT2LN_LANG", raising=False)
    nb, message = chinese_notebook()
    assert i18n.notebook_language(nb) == "zh_CN"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert check.report(nb) == 1
    lines = printed.getvalue().split("\n")
    assert lines[0] == "未通过  PreLNBlock：前向传播 (0 / 2)"
    assert lines[1].strip().startswith("你的 PreLNBlock 与一个已知错误相符。误区一：")
    assert any(line.strip().startswith("出错的是你的代码：Cell In[5], line 9") for line in lines)
    assert "隐藏    test_pre_ln_block_hidden（2 分）：在评分时运行，不在这里运行" in lines
    assert "1 项检查中通过了 0 项。请修正上面未通过的检查。" in lines
    assert "".join(printed.getvalue().split()).endswith("1个隐藏测试（2分）只在评分时运行：这里的检查无法给它们打分，"
                                                       "通过所有可见测试也不代表能拿到这些分。")


def test_the_feedback_page_speaks_the_notebooks_language(monkeypatch):
    from autograder.engine import feedback

    monkeypatch.delenv("GPT2LN_LANG", raising=False)
    nb, message = chinese_notebook()
    resources = {}
    for step in (feedback.PageLanguage(), feedback.ReadableOutputs()):
        nb, resources = step.preprocess(nb, resources)
    assert resources["gpt2ln"]["language"] == "zh_CN" and resources["gpt2ln"]["words"]["total"] == "总分："
    page = nb.cells[1].outputs[0]["data"]["text/html"]
    m1 = sections.MISCONCEPTION_1
    assert f'<a href="{m1.url_in("zh_CN")}">{m1.name_in("zh_CN")}</a>' in page
    assert '<p class="where">出错的是你的代码：Cell In[5], line 9' in page
    nb.cells[2].source = "### BEGIN HIDDEN TESTS\nchecks.pre_ln_block_hidden(PreLNBlock)\n### END HIDDEN TESTS"
    nb, resources = feedback.HideHiddenTests().preprocess(nb, resources)
    assert nb.cells[2].source.endswith("# （隐藏测试在评分时于此运行；不予显示）")
    monkeypatch.setenv("GPT2LN_LANG", "zh")
    assert "你提交的作业无法评分" in feedback.failed_page("03_blocks", "not a notebook")
    monkeypatch.delenv("GPT2LN_LANG")
    assert "your submission could not be graded" in feedback.failed_page("03_blocks", "not a notebook")
