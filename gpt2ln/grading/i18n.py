"""The grader's words in the student's language: English (the default, and the key) or Chinese.

Every message of the grading library is an English *template* with named placeholders,
translated when the message is made; ``gpt2ln.grading.messages_zh.MESSAGES`` holds the
Chinese of each template, keyed by the English (``tests/test_grading_i18n.py`` fails on a
template with no translation, a stale translation, or placeholders that differ)::

    _("{title}: your code raised an error: {message}").format(title=title, message=message)

The language is read from ``GPT2LN_LANG`` each time a message is made (``zh``, ``zh_CN``:
Chinese; anything else or unset: English), so a notebook may set it in its first cell.
Texts made once, at import (the library of known mistakes), are ``lazy``: a ``Text`` keeps
the template and its arguments and is translated each time it is turned into a string.

    language()          "en" or "zh_CN", from GPT2LN_LANG (or the innermost ``using``)
    using(language)     a block in which messages are made in ``language`` (the feedback page)
    _(template)         the template in the current language
    lazy(template, **)  a Text: ``str(text)`` is ``_(template).format(**args)`` in the language of that moment
    Joined(sep, parts)  Texts joined by a separator that is itself a Text ("; " is "；" in Chinese)
    width(text)         columns a text takes in a terminal (a Chinese character takes two)
"""

import contextlib
import os
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass

from gpt2ln.links import LANGUAGES  # noqa: F401  (the editions, declared once with the book's addresses)

_override: ContextVar[str | None] = ContextVar("gpt2ln_language", default=None)


def normalise(value: str | None) -> str:
    """``zh``, ``zh_CN``, ``zh-cn``, ``zh_Hans``: "zh_CN"; anything else: "en"."""
    return "zh_CN" if (value or "").strip().lower().replace("-", "_").startswith("zh") else "en"


def language() -> str:
    """The language messages are made in now: the innermost ``using``, else ``GPT2LN_LANG``."""
    return _override.get() or normalise(os.environ.get("GPT2LN_LANG"))


@contextlib.contextmanager
def using(lang: str):
    """Make messages in ``lang`` ("en", "zh", "zh_CN"...) inside this block, whatever GPT2LN_LANG says."""
    token = _override.set(normalise(lang))
    try:
        yield
    finally:
        _override.reset(token)


def _(template: str) -> str:
    """``template`` (English, with named placeholders) in the current language."""
    if language() == "en":
        return template
    from .messages_zh import MESSAGES

    return MESSAGES.get(template, template)


@dataclass(frozen=True)
class Text:
    """A message made later: ``_(template).format(**args)`` in the language of the moment it is read."""

    template: str
    args: tuple = ()  # (name, value) pairs; a value may be a Text
    lower_first: bool = False  # "and you scale ...": the first letter in lower case (a no-op in Chinese)

    def translated(self) -> str:
        """The template itself in the current language, its placeholders unfilled."""
        return _(self.template)

    def __str__(self) -> str:
        text = self.translated().format(**dict(self.args))
        return text[:1].lower() + text[1:] if self.lower_first else text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def lazy(template: str, **args) -> Text:
    """A ``Text``: the template's translation, made each time it is read (for texts made at import)."""
    return Text(template, tuple(args.items()))


@dataclass(frozen=True)
class Joined:
    """``parts`` joined by ``separator``, both read in the language of the moment."""

    separator: Text
    parts: tuple

    def __str__(self) -> str:
        return str(self.separator).join(str(part) for part in self.parts)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def lowered(text) -> Text:
    """``text`` with its first letter in lower case, when read (it continues a sentence)."""
    return Text("{text}", (("text", text),), lower_first=True)


def width(text: str) -> int:
    """How many columns ``text`` takes in a terminal or a notebook's output: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` columns (``f"{text:<n}"`` counting a CJK character as two)."""
    return text + " " * max(columns - width(text), 0)


def is_wide(character: str) -> bool:
    return unicodedata.east_asian_width(character) in "WF"


def notebook_language(nb) -> str:
    """The language of a notebook: its ``metadata.gpt2ln.language`` if set, else Chinese when at least a third of
    the letters of its Markdown cells are Chinese characters, else GPT2LN_LANG's language."""
    stated = nb.get("metadata", {}).get("gpt2ln", {}).get("language")
    if stated:
        return normalise(stated)
    prose = "".join(cell.get("source", "") for cell in nb.get("cells", []) if cell.get("cell_type") == "markdown")
    letters = [c for c in prose if c.isalpha()]
    wide = sum(is_wide(c) for c in letters)
    return "zh_CN" if letters and wide >= 0.3 * len(letters) else language()
