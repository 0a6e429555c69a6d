"""Control characters in text we print or log, shown as escapes instead of obeyed.

ERP-supplied text (a reason, a carrier, an event id, an order id in a path not yet
validated) can carry a line break that forges a log line, or an escape sequence
that clears an operator's screen or writes to the clipboard (OSC 52). Whatever
leaves the guard as text goes through `escape_controls` first.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# C0, DEL and C1 controls, and the Unicode line and paragraph separators some viewers
# break lines at. (A backslash stays as it is: the aim is that nothing is obeyed, not
# an encoding that can be reversed.)
_TABLE = {
    code: _NAMED.get(chr(code), f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)
}


def escape_controls(text: str) -> str:
    """`text` with every control character written as an escape (`\\n`, `\\x1b`, …)."""
    if text.isprintable():  # the common case: nothing to do
        return text
    return text.translate(_TABLE)


def escape_lines(text: str) -> str:
    """Like `escape_controls`, but the line breaks of a message we wrote ourselves stay."""
    return "\n".join(escape_controls(line) for line in text.split("\n"))
