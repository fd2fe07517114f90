"""The book: its sources are consistent, it builds with warnings as errors, and it works offline.

* fast checks of the sources: every chapter and exercise page the feedback links to exists,
  every section a feedback message names is a heading of its chapter, and the committed SVG
  diagrams are exactly what ``book/diagrams/draw_blocks.py`` draws;
* the build (``jupyter-book build book --warningiserror --keep-going``, as ``make book``), served
  from the execution cache when nothing changed;
* the built HTML in headless Chromium with the network cut off: every page loads, MathJax has
  typeset the math (``mjx-container`` present, no raw ``\\(`` or ``$$`` left in the text), every
  image has loaded (``naturalWidth > 0``), every internal link resolves; screenshots of a few
  pages go to ``artifacts/screenshots/``.
"""

import html.parser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from gpt2ln.paths import REPO_ROOT

REPO = REPO_ROOT  # the repository root, as the package knows it
BOOK = REPO / "book"
HTML = BOOK / "_build" / "html"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHAPTERS = ["01_map", "02_layernorm", "03_post_ln", "04_pre_ln", "05_misconceptions", "06_gradients",
            "07_warmup", "08_beyond"]
ASSIGNMENTS = ["01_layernorm", "02_attention", "03_blocks", "04_gpt2", "05_gradient_flow", "06_warmup", "07_diagnose"]
SCREENSHOT_PAGES = ["index", "chapters/04_pre_ln", "chapters/06_gradients", "chapters/05_misconceptions",
                    "exercises/03_blocks", "zh_CN/chapters/04_pre_ln", "zh_CN/chapters/05_misconceptions",
                    "zh_CN/exercises/03_blocks"]
TRANSLATIONS = ["zh_CN"]  # the Chinese edition lives in book/_build/html/zh_CN (tools/build_book.py)


def _load_draw_blocks():
    spec = importlib.util.spec_from_file_location("draw_blocks", BOOK / "diagrams" / "draw_blocks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- sources


def test_every_linked_page_exists():
    """The autograder's feedback links to these files by name."""
    for chapter in CHAPTERS:
        assert (BOOK / "chapters" / f"{chapter}.md").is_file(), chapter
    for assignment in ASSIGNMENTS:
        page = BOOK / "exercises" / f"{assignment}.md"
        assert page.is_file(), assignment
        assert f"```{{student-notebook}} {assignment}\n```" in page.read_text(), f"{page} does not render its notebook"
    toc = (BOOK / "_toc.yml").read_text()
    for name in [f"chapters/{c}" for c in CHAPTERS] + [f"exercises/{a}" for a in ASSIGNMENTS]:
        assert f"file: {name}\n" in toc, f"{name} is not in _toc.yml"


def test_feedback_sections_are_headings_of_their_chapters():
    """Every section a feedback message points to is a heading, word for word, of the chapter it names."""
    from gpt2ln.grading import sections

    found = [v for v in vars(sections).values() if isinstance(v, sections.Section)]
    assert len(found) > 10
    for section in found:
        source = (REPO / section.file).read_text()
        headings = {m.group(1).strip() for m in re.finditer(r"^#+ (.+)$", source, re.MULTILINE)}
        assert section.title in headings, f"{section.file} has no heading {section.title!r}"


def test_diagrams_match_their_generator(tmp_path):
    """The committed SVGs are what draw_blocks.py draws (re-run it after editing a diagram)."""
    draw = _load_draw_blocks()
    written = draw.write_all(tmp_path)
    assert len(written) >= 5
    for path in written:
        committed = BOOK / "diagrams" / path.name
        stale = f"{committed} is stale: run python book/diagrams/draw_blocks.py"
        assert committed.read_text() == path.read_text(), stale
        assert "<svg" in committed.read_text() and "</svg>" in committed.read_text()


def test_diagram_shortcut_starts_at_block_input():
    """The Pre-LN diagram's shortcut begins at x, before any LayerNorm; Post-LN's stream has one on it."""
    draw = _load_draw_blocks()
    first = draw.PRE_LN.steps[0]
    assert isinstance(first, draw.Branch) and first.boxes[0] == "ln_1"
    assert not any(isinstance(step, draw.OnStream) for step in draw.PRE_LN.steps)
    assert any(isinstance(step, draw.OnStream) and step.label == "ln_1" for step in draw.POST_LN.steps)


def test_citations_are_in_the_bibliography():
    keys = set(re.findall(r"^@\w+\{([^,]+),", (BOOK / "references.bib").read_text(), re.MULTILINE))
    cited = set()
    for page in BOOK.rglob("*.md"):
        if "_build" in page.parts:
            continue
        for group in re.findall(r"\{cite(?::[pt])?\}`([^`]+)`", page.read_text()):
            cited |= {key.strip() for key in group.split(",")}
    assert cited, "no citations found"
    assert cited <= keys, f"cited but not in references.bib: {sorted(cited - keys)}"
    assert keys <= cited, f"in references.bib but never cited: {sorted(keys - cited)}"


def test_chapter_8_variants():
    """The variants of chapter 8 are what their papers define, and measure like chapter 5's models."""
    import torch

    from gpt2ln.experiments import beyond, gradient_flow

    x = torch.randn(2, 3, 16) * 5
    y = beyond.RMSNorm(16, eps=0.0)(x)
    assert torch.allclose(y.pow(2).mean(-1), torch.ones(2, 3), atol=1e-5), "RMSNorm gives unit root-mean-square"
    model = beyond.variant_model("deepnorm", 6)
    assert model.h[0].alpha == pytest.approx(12 ** 0.25), "DeepNorm's alpha is (2N)^(1/4)"
    assert isinstance(model.ln_f, torch.nn.Identity)
    peri = beyond.variant_model("peri", 2)
    assert hasattr(peri.h[0], "ln_1_out") and hasattr(peri.h[0], "ln_2_out")
    flows = beyond.variant_flows(4, names=("pre", "post", "mix"))
    assert flows["pre"].grad_norms == gradient_flow("pre", 4).grad_norms, "same models as chapter 5"
    assert flows["mix"].hidden_norms[1] == pytest.approx(1.0, abs=0.05), "Mix-LN starts with a Post-LN block"
    change, loss_change = beyond.first_step_change("pre", 2)
    assert change > 0 and loss_change < 0, "one sign-of-gradient step moves the logits and lowers the loss"


# Decimal numbers a reader may meet in prose without a glue: arithmetic, not measurement, each
# checked against the formula it comes from. Any other decimal in a sentence must be a {glue}.
ARITHMETIC = {"0.866": (3 / 4) ** 0.5, "0.9993": (767 / 768) ** 0.5}
MEASURED_PAGES = [BOOK / "chapters" / f"{c}.md" for c in CHAPTERS] + [BOOK / "cheatsheet.md"]


def _prose(text: str) -> str:
    """A page's sentences: code cells, code blocks, math and inline code removed."""
    text = re.sub(r"^```\{code-cell\}.*?^```$", "", text, flags=re.S | re.M)
    text = re.sub(r"^```(?!\{admonition|\{figure|\{glossary)[^\n]*\n.*?^```$", "", text, flags=re.S | re.M)
    text = re.sub(r"^```\{(literalinclude|code-block)\}.*?^```$", "", text, flags=re.S | re.M)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", "", text)
    return re.sub(r"`[^`\n]*`", "", text)


def test_measured_numbers_in_prose_are_glued():
    """No sentence types a measured number: every decimal is a {glue} of a computed value.

    A number typed into the text goes stale silently when the code changes; a glued one is
    recomputed at every build, and the hidden assert cells beside it check the claim the
    sentence makes about it. Section numbers ("Section 2.3") and the arithmetic in
    ``ARITHMETIC`` are the only decimals allowed.
    """
    for value, exact in ARITHMETIC.items():
        assert float(value) == pytest.approx(exact, abs=5 * 10 ** -len(value.split(".")[1])), value
    typed = []
    for page in MEASURED_PAGES:
        text = _prose(page.read_text())
        for match in re.finditer(r"(?<![\w.])\d+\.\d+(?![\w.])", text):
            before = text[max(0, match.start() - 9):match.start()]
            if "Section " in before or match.group() in ARITHMETIC:
                continue
            context = text[max(0, match.start() - 60):match.end() + 20].replace("\n", " ")
            typed.append(f"{page.name}: {match.group()} in '...{context}...'")
    assert not typed, "measured numbers typed into prose (glue them instead):\n" + "\n".join(typed)


def test_the_prose_test_catches_a_typed_number():
    """The check above is not vacuous: a typed ratio is found, a glued one and a section number are not."""
    text = _prose("Pre-LN's ratio is 0.31 at 24 layers, see Section 2.3; glued: {glue:text}`r:.2f`.\n")
    found = [m.group() for m in re.finditer(r"(?<![\w.])\d+\.\d+(?![\w.])", text)]
    assert found == ["0.31", "2.3"]


def test_glued_claims_are_asserted_in_hidden_cells():
    """Every page that glues a measured number also asserts its claims, in cells the reader does not see.

    A visible cell never calls ``glue`` or ``assert``: the reader sees the experiment and its
    output, the build machinery is removed from the page (``tags: [remove-cell]``).
    """
    for page in MEASURED_PAGES:
        text = page.read_text()
        cells = re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", text, flags=re.S | re.M)
        hidden = [c for c in cells if re.match(r":tags: \[[^\]]*remove-cell", c)]
        visible = [c for c in cells if c not in hidden]
        for cell in visible:
            machinery = re.search(r"^\s*(glue\(|assert )", cell, flags=re.M)
            assert not machinery, f"{page.name}: glue/assert in a visible cell"
        if "{glue:text}" in text and page.stem not in ("01_map",):
            assert any("assert " in c for c in hidden), f"{page.name} glues numbers but asserts no claim"


def test_chapters_have_objectives_and_self_checks():
    """Each chapter opens with 2-4 learning objectives and ends with 3-5 questions whose answers fold away."""
    for chapter in CHAPTERS:
        text = (BOOK / "chapters" / f"{chapter}.md").read_text()
        objectives = re.search(r"```\{admonition\} Learning objectives\n(.*?)```", text, flags=re.S)
        assert objectives, f"{chapter}: no learning objectives"
        assert 2 <= len(re.findall(r"^\d\. ", objectives.group(1), flags=re.M)) <= 4, chapter
        assert text.index("Learning objectives") < text.index("\n## "), f"{chapter}: objectives are not at the start"
        checks = text.split("## Check your understanding", 1)
        assert len(checks) == 2 and "\n## " not in checks[1], f"{chapter}: no final 'Check your understanding'"
        questions = re.findall(r"^\d\. ", checks[1], flags=re.M)
        answers = re.findall(r":class: dropdown", checks[1])
        assert 3 <= len(questions) <= 5 and len(answers) == len(questions), chapter
    predictions = [c for c in CHAPTERS if "Predict" in (BOOK / "chapters" / f"{c}.md").read_text().split(
        "## Check your understanding")[1]]
    assert len(predictions) >= 1


def test_no_reference_source_before_its_assignment():
    """A module's reference source is shown only folded, 'for after assignment N', never printed on the page."""
    for chapter in CHAPTERS:
        text = (BOOK / "chapters" / f"{chapter}.md").read_text()
        for obj in ("LayerNorm.forward", "MLP.forward", "CausalSelfAttention.forward", "PreLNBlock.forward",
                    "PostLNBlock.forward", "GPT2.forward"):
            assert f"getsource({obj})" not in text, f"{chapter} prints {obj}'s source"
        for block in re.findall(r":::\{dropdown\}([^\n]*)\n(.*?)^:::$", text, flags=re.S | re.M):
            if "literalinclude" in block[1]:
                assert re.fullmatch(r" The reference, for after assignment \d", block[0]), block[0]


def test_no_stale_chapter_numbers():
    """Chapters are referred to by link or by their number in the toc order, never by an old number."""
    order = {c: i + 1 for i, c in enumerate(CHAPTERS)}
    for page in MEASURED_PAGES + [BOOK / "index.md"]:
        text = page.read_text()
        for match in re.finditer(r"[Cc]hapter (\d)'?s?,? \{doc\}`(?:\.\./chapters/|chapters/)?(\d\d_\w+)`", text):
            assert int(match.group(1)) == order[match.group(2)], f"{page.name}: {match.group()}"


# --------------------------------------------------------------------------- the build


@pytest.fixture(scope="session")
def built_book():
    """Build both editions as `make book` does; unchanged chapters come from the execution cache."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("BOOK_ALLOW_UNTRANSLATED", None)  # an untranslated paragraph fails the Chinese build
    command = [sys.executable, str(REPO / "tools" / "build_book.py")]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return HTML


def test_book_builds_every_page(built_book):
    pages = [f"chapters/{c}" for c in CHAPTERS] + [f"exercises/{a}" for a in ASSIGNMENTS]
    pages += ["index", "exercises/index", "instructor/guide", "glossary", "bibliography"]
    for page in pages:
        assert (built_book / f"{page}.html").is_file(), page
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not served locally"


def test_exercise_pages_render_the_student_notebooks(built_book):
    for assignment in ASSIGNMENTS:
        text = (built_book / "exercises" / f"{assignment}.html").read_text()
        assert "has not been generated yet" not in text, f"notebooks/{assignment}/{assignment}.ipynb is missing"
        assert f"{assignment}.ipynb" in text and "_downloads" in text, f"{assignment}: no download link"
        assert "colab.research.google.com" in text and "mybinder.org" in text, f"{assignment}: no launch links"
        notebook = json.loads((REPO / "notebooks" / assignment / f"{assignment}.ipynb").read_text())
        assert "BEGIN SOLUTION" not in json.dumps(notebook), f"{assignment}: the released notebook has solutions"


def test_experiment_numbers_are_in_the_text(built_book):
    """Glued numbers are substituted (no unresolved glue key), and the corpus is credited."""
    for chapter in CHAPTERS:
        text = (built_book / "chapters" / f"{chapter}.html").read_text()
        assert "{glue" not in text, f"{chapter}: unresolved glue role"
        assert "Traceback" not in text, f"{chapter}: a cell raised"
    from gpt2ln.data import CORPUS_CREDIT

    warmup = (built_book / "chapters" / "07_warmup.html").read_text()
    assert CORPUS_CREDIT in warmup.replace("\n", " ")


# --------------------------------------------------------------------------- offline, in Chromium

# Appended to a *copy* of each page: once the page and MathJax are done, it writes what it
# found into the DOM, which `chromium --dump-dom` prints.
PROBE = """
<script>
(function () {
  // A CJK character drawn as a tofu box: on a canvas, in the page's own font, it looks exactly like
  // a code point no font has (U+10FFFD), or like nothing at all.
  function tofu(text) {
    var chars = Array.from(new Set(text.match(/[\\u4e00-\\u9fff\\u3001-\\u303f\\uff01-\\uffef]/g) || [])).slice(0, 400);
    var para = document.querySelector('article p') || document.body;
    var canvas = document.createElement('canvas');
    canvas.width = canvas.height = 48;
    var ctx = canvas.getContext('2d');
    function draw(ch) {
      ctx.clearRect(0, 0, 48, 48);
      ctx.font = '32px ' + getComputedStyle(para).fontFamily;
      ctx.fillStyle = '#000';
      ctx.fillText(ch, 4, 36);
      return Array.prototype.join.call(ctx.getImageData(0, 0, 48, 48).data, ',');
    }
    var missing = draw(String.fromCodePoint(0x10FFFD)), blank = draw(' ');
    var bad = chars.filter(function (ch) { var d = draw(ch); return d === missing || d === blank; });
    return {checked: chars.length, boxes: bad.slice(0, 20), count: bad.length};
  }
  // Paragraphs of the article that are English: three English words in a row, no CJK, once
  // code, math and bibliography entries are set aside (names and quotations are shorter).
  function englishParagraphs() {
    var skip = 'pre, code, .math, mjx-container, .cell_output, .citation, .bibliography, .highlight, .headerlink';
    var found = [];
    document.querySelectorAll('article p, article li, article dt, article dd, article td, article th, ' +
                              'article h1, article h2, article h3, article figcaption').forEach(function (el) {
      if (el.closest(skip)) return;
      var copy = el.cloneNode(true);
      copy.querySelectorAll(skip + ', ul, ol, p').forEach(function (c) { c.remove(); });
      var t = copy.textContent.replace(/\\s+/g, ' ').trim();
      if (/[\\u4e00-\\u9fff]/.test(t)) return;
      if (/\\b[A-Za-z][a-z]+\\b(\\W+\\b[A-Za-z][a-z]+\\b){2,}/.test(t)) found.push(t.slice(0, 120));
    });
    return found;
  }
  function report() {
    var imgs = Array.prototype.slice.call(document.images);
    var text = document.body.innerText;
    var out = {
      title: document.title,
      images: imgs.map(function (i) { return {src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}; }),
      mjx: document.querySelectorAll('mjx-container').length,
      rawInline: text.indexOf('\\\\(') >= 0,
      rawDisplay: text.indexOf('$$') >= 0,
      mathjax: typeof window.MathJax === 'object' && !!window.MathJax.startup
    };
    if (document.documentElement.lang.indexOf('zh') === 0) {
      out.tofu = tofu(text);
      out.english = englishParagraphs();
    }
    var pre = document.createElement('pre');
    pre.id = 'book-probe';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  window.addEventListener('load', function () {
    var done = window.MathJax && MathJax.startup && MathJax.startup.promise;
    (done ? MathJax.startup.promise : Promise.resolve()).then(function () { setTimeout(report, 200); });
  });
})();
</script>
"""


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def _offline_prefix() -> list[str]:
    """A command prefix that runs its command in a new network namespace (no network at all)."""
    for prefix in (["unshare", "-rn"], ["unshare", "-n"]):
        if shutil.which(prefix[0]) and subprocess.run(prefix + ["true"], capture_output=True).returncode == 0:
            return prefix
    pytest.fail("cannot cut the network off (unshare -rn and unshare -n both fail)")


def _chromium(offline: list[str], profile: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--virtual-time-budget=15000"]
    return subprocess.run(offline + [shutil.which("chromium"), *flags, *args], capture_output=True, text=True,
                          timeout=180, env=env)


def _probed_copy(built_book: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of the built site with the probe in every page (the build itself stays untouched)."""
    site = tmp_path / "html"
    shutil.copytree(built_book, site)
    pages = _page_names(site)
    for name in pages:
        path = site / f"{name}.html"
        path.write_text(path.read_text().replace("</body>", PROBE + "</body>"))
    return site, pages


def _probe(offline: list[str], site: Path, name: str, profile: Path, env: dict | None = None) -> dict:
    result = _chromium(offline, profile, "--dump-dom", (site / f"{name}.html").as_uri(), env=env)
    match = re.search(r'<pre id="book-probe"[^>]*>(.*?)</pre>', result.stdout, re.DOTALL)
    assert match, f"{name}: the page did not finish loading\n{result.stderr[-2000:]}"
    return json.loads(html.unescape(match.group(1)))


def _page_names(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(root).parts) and p.name != "search.html"
                  and p.name != "genindex.html")


@pytest.mark.slow
def test_offline_in_chromium(built_book, tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    offline = _offline_prefix()
    site, pages = _probed_copy(built_book, tmp_path)
    assert len(pages) >= 38, pages  # both editions

    def probe(name):
        return name, _probe(offline, site, name, tmp_path / f"profile-{name.replace('/', '-')}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = dict(pool.map(probe, pages))

    problems = []
    for name, report in reports.items():
        has_math = 'class="math' in (built_book / f"{name}.html").read_text()
        if has_math and not (report["mathjax"] and report["mjx"] > 0):
            problems.append(f"{name}: the page has math but MathJax did not typeset it")
        if report["rawInline"] or report["rawDisplay"]:
            problems.append(f"{name}: raw TeX left in the text")
        problems += [f"{name}: image {img['src']} did not load" for img in report["images"] if not img["ok"]]
        if name.split("/")[0] in TRANSLATIONS:
            if report["tofu"]["checked"] < 20 or report["tofu"]["count"]:
                problems.append(f"{name}: CJK text without a font (tofu): {report['tofu']}")
            problems += [f"{name}: English paragraph on a Chinese page: {text!r}" for text in report["english"]]
    chapters = ["02_layernorm", "03_post_ln", "04_pre_ln", "06_gradients", "07_warmup", "08_beyond"]
    for chapter in chapters + [f"{language}/chapters/{c}" for language in TRANSLATIONS for c in chapters]:
        chapter = chapter if "/" in chapter else f"chapters/{chapter}"
        if reports[chapter]["mjx"] == 0:
            problems.append(f"{chapter}: no typeset math (mjx-container)")
    images = [img["src"] for report in reports.values() for img in report["images"]]
    figures = {src.rsplit("/", 1)[-1] for src in images if "_images/" in src}  # diagrams and plots, not logos
    assert len(figures) >= 12, f"only {len(figures)} figures found: {sorted(figures)}"
    assert not problems, "\n".join(problems)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in SCREENSHOT_PAGES:
        target = SCREENSHOTS / f"{name.replace('/', '_')}.png"
        _chromium(offline, tmp_path / "profile-shots", f"--screenshot={target}", "--window-size=1280,1600",
                  (built_book / f"{name}.html").as_uri())
        assert target.is_file() and target.stat().st_size > 10_000, f"no screenshot of {name}"


def test_internal_links_resolve(built_book):
    """Every relative link of every page points to a file that exists, and to an id on it."""
    ids: dict[Path, set[str]] = {}

    def parse(path: Path) -> _Links:
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8"))
        ids[path] = parser.ids
        return parser

    broken = []
    for name in _page_names(built_book):
        page = built_book / f"{name}.html"
        for href in parse(page).hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("mailto:", "//")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.exists():
                broken.append(f"{name}: {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                target_ids = ids.get(target) or parse(target).ids
                if unquote(parts.fragment) not in target_ids:
                    broken.append(f"{name}: {href} (no such anchor)")
    assert not broken, "\n".join(broken)


@pytest.mark.slow
def test_the_font_check_sees_tofu(built_book, tmp_path):
    """The CJK check can fail: with fontconfig given only a Latin font, a Chinese page's characters are boxes."""
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    latin = Path("/usr/share/fonts/truetype/dejavu")
    assert latin.is_dir(), "Debian's fonts-dejavu-core is expected (chromium depends on a font)"
    config = tmp_path / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>{latin}</dir>'
                      f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n")
    site, _ = _probed_copy(built_book, tmp_path)
    env = dict(os.environ, FONTCONFIG_FILE=str(config))
    report = _probe(_offline_prefix(), site, "zh_CN/chapters/04_pre_ln", tmp_path / "profile", env=env)
    assert report["tofu"]["checked"] >= 20 and report["tofu"]["count"] >= report["tofu"]["checked"] // 2, report["tofu"]


def test_every_page_links_to_its_twin(built_book):
    """Each English page has a Chinese twin and links to it, and the twin links back."""
    english = [name for name in _page_names(built_book) if name.split("/")[0] not in TRANSLATIONS]
    assert len(english) >= 19

    def links_to(page: Path, target: Path) -> bool:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        return any((page.parent / unquote(urlsplit(h).path)).resolve() == target.resolve()
                   for h in parser.hrefs if not urlsplit(h).scheme)

    for language in TRANSLATIONS:
        translated = [name.removeprefix(f"{language}/") for name in _page_names(built_book / language)]
        assert sorted(translated) == english, f"{language}: pages without a twin"
        for name in english:
            page, twin = built_book / f"{name}.html", built_book / language / f"{name}.html"
            assert links_to(page, twin), f"{name} does not link to its {language} twin"
            assert links_to(twin, page), f"{language}/{name} does not link back"
