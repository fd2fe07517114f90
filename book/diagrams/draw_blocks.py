"""Draw the book's architecture diagrams as SVG files, from a short description of each block.

Every diagram is the residual stream drawn as a vertical line (the input at the top, the
output at the bottom, in the order the code runs) and a list of steps on it:

* ``Branch(boxes)``: the stream forks, a copy runs through ``boxes`` on the right, and the
  result is added back with a circled plus. The straight segment from the fork to the
  plus is the *shortcut*; it is drawn thick and green so the eye finds where it starts.
* ``OnStream(label)``: a module the whole stream passes through (a LayerNorm on the
  stream, an embedding, the LM head). Everything below it, shortcut included, only ever
  sees its output.

Run ``python book/diagrams/draw_blocks.py`` to rewrite the SVG files next to this script;
``tests/test_book.py`` checks that the committed files equal what this script draws.
"""

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Colours by role, the same in every diagram.
FILL = {"ln": "#fde68a", "attn": "#bfdbfe", "mlp": "#fbcfe8", "embed": "#e5e7eb", "other": "#ddd6fe"}
STREAM, SHORTCUT, WRONG = "#374151", "#059669", "#dc2626"
BOX_W, BOX_H, GAP = 118, 34, 16
COL_W = 340


@dataclass
class Branch:
    boxes: list[str]
    note: str = ""  # written left of the shortcut, e.g. "shortcut from x"


@dataclass
class OnStream:
    label: str
    wrong: bool = False  # a red outline: this module should not be on the stream here
    note: str = ""


@dataclass
class Repeat:
    """A bracket around the steps between start and stop (indices into steps), labelled e.g. x N."""

    start: int
    stop: int
    label: str


@dataclass
class Column:
    title: str
    steps: list
    code: list[str] = field(default_factory=list)  # the forward pass, one line each, under the drawing
    top_label: str = "x"
    bottom_label: str = "output"
    subtitle: str = ""
    repeats: list[Repeat] = field(default_factory=list)
    verdict: str = ""  # e.g. "correct" or "wrong": coloured badge under the title


def role(label: str) -> str:
    name = label.lower()
    if "ln" in name or "norm" in name:
        return "ln"
    if "attn" in name:
        return "attn"
    if "mlp" in name:
        return "mlp"
    if "wte" in name or "wpe" in name or "lm_head" in name or "embed" in name:
        return "embed"
    return "other"


class Canvas:
    def __init__(self):
        self.items: list[str] = []

    def line(self, x1, y1, x2, y2, color=STREAM, width=2.0, arrow=False, dash=""):
        marker = f' marker-end="url(#arrow-{color[1:]})"' if arrow else ""
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        self.items.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
            f'stroke-width="{width}"{dashes}{marker}/>'
        )

    def box(self, cx, y, label, outline=STREAM, width=BOX_W):
        self.items.append(
            f'<rect x="{cx - width / 2:.1f}" y="{y:.1f}" width="{width}" height="{BOX_H}" rx="6" '
            f'fill="{FILL[role(label)]}" stroke="{outline}" stroke-width="{2.5 if outline != STREAM else 1.2}"/>'
        )
        self.text(cx, y + BOX_H / 2 + 5, label, size=14, mono=True)

    def plus(self, cx, cy, r=11):
        self.items.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="white" stroke="{STREAM}" stroke-width="1.8"/>')
        self.line(cx - r + 4, cy, cx + r - 4, cy, width=1.8)
        self.line(cx, cy - r + 4, cx, cy + r - 4, width=1.8)

    def dot(self, cx, cy, color=SHORTCUT):
        self.items.append(f'<circle cx="{cx}" cy="{cy}" r="5" fill="{color}"/>')

    def text(self, x, y, s, size=13, anchor="middle", color="#111827", mono=False, bold=False):
        family = "DejaVu Sans Mono, Menlo, Consolas, monospace" if mono else "DejaVu Sans, Helvetica, Arial, sans-serif"
        weight = ' font-weight="bold"' if bold else ""
        self.items.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{color}" '
            f'font-family="{family}"{weight}>{escape(s)}</text>'
        )


def draw_column(c: Canvas, col: Column, x0: float) -> float:
    """Draw one block at horizontal offset x0; return the height used."""
    sx, bx = x0 + 140, x0 + 268  # the stream's x, the branch's x
    y = 28
    c.text(x0 + COL_W / 2, y, col.title, size=16, bold=True)
    if col.subtitle:
        y += 20
        c.text(x0 + COL_W / 2, y, col.subtitle, size=12, color="#4b5563")
    if col.verdict:
        y += 22
        color = SHORTCUT if col.verdict.startswith("correct") else WRONG
        c.text(x0 + COL_W / 2, y, col.verdict, size=13, color=color, bold=True)
    y += 30
    c.text(sx, y, col.top_label, size=14, mono=True, bold=True)
    y += 8
    step_top: dict[int, float] = {}
    step_bottom: dict[int, float] = {}
    for i, step in enumerate(col.steps):
        step_top[i] = y
        if isinstance(step, OnStream):
            c.line(sx, y, sx, y + GAP, arrow=True)
            y += GAP
            c.box(sx, y, step.label, outline=WRONG if step.wrong else STREAM, width=BOX_W + 20)
            if step.note:
                c.text(sx + BOX_W / 2 + 18, y + BOX_H / 2 + 5, step.note, size=11, anchor="start",
                       color=WRONG if step.wrong else "#4b5563")
            y += BOX_H
        else:
            c.line(sx, y, sx, y + 14)
            y += 14
            fork_y = y
            c.line(sx, fork_y, bx, fork_y)
            by = fork_y
            for label in step.boxes:
                c.line(bx, by, bx, by + GAP, arrow=True)
                by += GAP
                c.box(bx, by, label)
                by += BOX_H
            add_y = by + GAP + 11
            c.line(bx, by, bx, add_y)
            c.line(bx, add_y, sx + 13, add_y, arrow=True)
            c.line(sx, fork_y, sx, add_y - 13, color=SHORTCUT, width=4.5, arrow=True)
            c.dot(sx, fork_y)
            c.plus(sx, add_y)
            if step.note:
                c.text(sx - 14, (fork_y + add_y) / 2 + 4, step.note, size=11, anchor="end", color=SHORTCUT)
            y = add_y + 11
        step_bottom[i] = y
    c.line(sx, y, sx, y + 22, arrow=True)
    y += 40
    c.text(sx, y, col.bottom_label, size=14, mono=True, bold=True)
    for rep in col.repeats:
        top, bottom = step_top[rep.start] + 4, step_bottom[rep.stop - 1] - 2
        bxr = x0 + 44
        c.line(bxr + 8, top, bxr, top, color="#6b7280", width=1.5)
        c.line(bxr, top, bxr, bottom, color="#6b7280", width=1.5)
        c.line(bxr, bottom, bxr + 8, bottom, color="#6b7280", width=1.5)
        c.text(bxr - 4, (top + bottom) / 2 + 4, rep.label, size=12, anchor="end", color="#374151")
    y += 14
    for line in col.code:
        y += 18
        c.text(x0 + 12, y, line, size=12, anchor="start", mono=True, color="#1f2937")
    return y + 16


def render(columns: list[Column], description: str) -> str:
    """The SVG document for columns side by side; description becomes the accessible <title>."""
    c = Canvas()
    height = max(draw_column(c, col, i * COL_W) for i, col in enumerate(columns))
    width = COL_W * len(columns)
    markers = "".join(
        f'<marker id="arrow-{color[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" '
        f'markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{color}"/></marker>'
        for color in (STREAM, SHORTCUT)
    )
    separators = "".join(
        f'<line x1="{i * COL_W}" y1="12" x2="{i * COL_W}" y2="{height - 8}" stroke="#e5e7eb" stroke-width="1"/>'
        for i in range(1, len(columns))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" role="img">\n'
        f"<title>{escape(description)}</title>\n<defs>{markers}</defs>\n"
        f'<rect width="100%" height="100%" fill="white"/>\n{separators}\n' + "\n".join(c.items) + "\n</svg>\n"
    )


PRE_LN = Column(
    "Pre-LN (GPT-2)",
    [Branch(["ln_1", "attn"], note="shortcut from x"), Branch(["ln_2", "mlp"], note="shortcut from x")],
    code=["x = x + attn(ln_1(x))", "x = x + mlp(ln_2(x))"],
    subtitle="LayerNorm inside the branch",
)
POST_LN = Column(
    "Post-LN (Transformer, 2017)",
    [Branch(["attn"]), OnStream("ln_1"), Branch(["mlp"]), OnStream("ln_2")],
    code=["x = ln_1(x + attn(x))", "x = ln_2(x + mlp(x))"],
    subtitle="LayerNorm on the stream, after the add",
)


def diagrams() -> dict[str, tuple[list[Column], str]]:
    """File name -> (columns, description)."""
    gpt2_stack = Column(
        "GPT-2, the whole model",
        [
            OnStream("wte + wpe"),
            Branch(["ln_1", "attn"]),
            Branch(["ln_2", "mlp"]),
            OnStream("ln_f", note="added by GPT-2"),
            OnStream("lm_head"),
        ],
        top_label="token ids (B, T)",
        bottom_label="logits (B, T, V)",
        repeats=[Repeat(1, 3, "x N")],
        subtitle="h[0] ... h[N-1] are Pre-LN blocks",
    )
    mistake_after = Column(
        "Misconception 1",
        [OnStream("ln_1", wrong=True, note="stream normalised"), Branch(["attn"], note="from ln_1(x)"),
         OnStream("ln_2", wrong=True), Branch(["mlp"])],
        code=["h = ln_1(x); x = h + attn(h)", "h = ln_2(x); x = h + mlp(h)"],
        subtitle="residual taken after the LayerNorm",
        verdict="wrong: shortcut starts at ln_1(x)",
    )
    mistake_confused = Column(
        "Misconception 2",
        [Branch(["attn"]), OnStream("ln_1", wrong=True, note="Post-LN's place"), Branch(["mlp"]),
         OnStream("ln_2", wrong=True)],
        code=["x = ln_1(x + attn(x))", "x = ln_2(x + mlp(x))"],
        subtitle="Post-LN written where Pre-LN is asked",
        verdict="wrong: this is Post-LN",
    )
    mistake_stream = Column(
        "Misconception 3",
        [Branch(["ln_1", "attn"]), OnStream("ln_1", wrong=True, note="normalises the stream"),
         Branch(["ln_2", "mlp"]), OnStream("ln_2", wrong=True)],
        code=["x = ln_1(x + attn(ln_1(x)))", "x = ln_2(x + mlp(ln_2(x)))"],
        subtitle="a LayerNorm on the residual stream itself",
        verdict="wrong: block is not x + f(LN(x))",
    )
    correct = Column(
        "The Pre-LN block",
        PRE_LN.steps,
        code=PRE_LN.code,
        subtitle="what the assignment asks for",
        verdict="correct: shortcut starts at x",
    )
    peri = Column(
        "Peri-LN",
        [Branch(["ln_1", "attn", "ln_out"]), Branch(["ln_2", "mlp", "ln_out"])],
        code=["x = x + ln_out(attn(ln_1(x)))", "x = x + ln_out(mlp(ln_2(x)))"],
        subtitle="normalise the branch's input and output",
    )
    deepnorm = Column(
        "DeepNorm",
        [Branch(["attn"], note="alpha * x"), OnStream("ln_1"), Branch(["mlp"], note="alpha * x"), OnStream("ln_2")],
        code=["x = ln_1(alpha * x + attn(x))", "x = ln_2(alpha * x + mlp(x))"],
        subtitle="Post-LN with an up-weighted shortcut",
    )
    rms = Column(
        "Pre-RMSNorm (LLaMA-style)",
        [Branch(["rmsnorm", "attn"]), Branch(["rmsnorm", "mlp"])],
        code=["x = x + attn(rms(x))", "x = x + mlp(rms(x))"],
        subtitle="no mean subtraction, no bias",
    )
    return {
        "pre_vs_post.svg": ([POST_LN, PRE_LN], "Post-LN and Pre-LN blocks side by side; the shortcut is green"),
        "post_ln_block.svg": ([POST_LN], "The Post-LN block of the 2017 Transformer"),
        "gpt2_stack.svg": ([gpt2_stack], "GPT-2: embeddings, N Pre-LN blocks, ln_f, the tied LM head"),
        "misconceptions.svg": (
            [correct, mistake_after, mistake_confused, mistake_stream],
            "The correct Pre-LN block next to the three misconceptions",
        ),
        "variants.svg": ([peri, deepnorm, rms], "Peri-LN, DeepNorm and Pre-RMSNorm blocks"),
    }


def write_all(folder: Path = HERE) -> list[Path]:
    paths = []
    for name, (columns, description) in diagrams().items():
        path = folder / name
        path.write_text(render(columns, description), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_all():
        print("wrote", p)
