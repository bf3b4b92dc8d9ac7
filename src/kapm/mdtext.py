"""User text made safe for Markdown (reports, ``kapm diff`` / ``kapm trend`` and PR comments).

One rule set for every Markdown kapm writes, so a name renders the same everywhere:
the text becomes one line; every character that could start markup (``\\ ` * _ [ ] | ~
< >``, and ``&`` where it would start an entity such as ``&lt;``) is backslash-escaped
(CommonMark allows it before any ASCII punctuation, so the text shows exactly as written
and no HTML tag or entity survives); an ``@`` gets a word
joiner so a name never mentions a GitHub user or team; a leading ``#``, ``>``, ``-``,
``+`` or ``1.`` cannot start a heading, quote or list.
"""

from __future__ import annotations

import re

__all__ = ["md_escape"]

_SPECIAL = re.compile(r"([\\`*_\[\]|~<>]|&(?=#?\w+;))")
_LEADING_MARK = re.compile(r"^([#>+-])")
_LEADING_NUMBER = re.compile(r"^(\d+)([.)])")


def md_escape(value) -> str:
    if value is None:
        return ""
    text = " ".join(str(value).replace("\r", "\n").split("\n"))
    text = _SPECIAL.sub(r"\\\1", text).strip().replace("@", "@\u2060")
    text = _LEADING_MARK.sub(r"\\\1", text)
    return _LEADING_NUMBER.sub(r"\1\\\2", text)
