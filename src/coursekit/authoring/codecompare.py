"""Compare the code of two twin notebooks, setting aside comments and string literals.

Twin chapters run the same program; only their comments and printed strings are in different
languages. A code cell's *fingerprint* is its token stream with comments dropped and every
string literal (f-strings included) replaced by a placeholder.
"""

from __future__ import annotations

import difflib
import io
import tokenize

_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def code_fingerprint(source: str) -> tuple[str, ...]:
    """The cell's tokens, without comments and with string literals as '<str>'."""
    tokens: list[str] = []
    depth = 0  # inside an f-string (Python 3.12+ tokenizes its parts)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if _FSTRING_START is not None and tok.type == _FSTRING_START:
                depth += 1
                if depth == 1:
                    tokens.append("<str>")
                continue
            if _FSTRING_END is not None and tok.type == _FSTRING_END:
                depth -= 1
                continue
            if depth or tok.type in _SKIP:
                continue
            if tok.type == tokenize.STRING:
                tokens.append("<str>")
            elif tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                tokens.append(tokenize.tok_name[tok.type])
            else:
                tokens.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # Not plain Python (a cell magic, say): compare the stripped lines instead.
        return tuple(line.strip() for line in source.splitlines() if line.strip())
    return tuple(tokens)


def first_difference(cells_a: list[str], cells_b: list[str]) -> str | None:
    """Describe the first code cell whose fingerprint differs, or None if all match."""
    for index, (a, b) in enumerate(zip(cells_a, cells_b, strict=False), start=1):
        fa, fb = code_fingerprint(a), code_fingerprint(b)
        if fa != fb:
            diff = difflib.unified_diff(
                " ".join(fa).split(" NEWLINE "), " ".join(fb).split(" NEWLINE "), lineterm="", n=0
            )
            detail = "\n".join(list(diff)[2:8])
            return (
                f"code cell {index} differs (comments and strings set aside).\n"
                f"first cell's code:\n{a}\n---\nother cell's code:\n{b}\n---\n{detail}"
            )
    if len(cells_a) != len(cells_b):
        return f"the number of code cells differs: {len(cells_a)} versus {len(cells_b)}."
    return None
