"""Code 128 for tracking numbers: the shortest encoding, and how wide it prints.

A label's barcode must decode to the stored tracking number, character for
character, and fit a 4-inch label. So the encoding is chosen here, not left to
a printer or a library: subsets A (upper case and control characters), B
(upper and lower case) and C (digit pairs, half the width) are switched where
it saves symbols, and the same symbols are drawn in the ZPL and the PDF.

ZPL (`^BC`, mode N, as the ZPL II guide writes it): a field starts with a start
invocation (`>9` A, `>:` B, `>;` C) and switches subset with `>7` A, `>6` B,
`>5` C. Subset B is ASCII text except the four characters ZPL reads otherwise,
written as invocations: `^` as `><`, `>` as `>0`, `~` as `>=`, DEL as `>1`.
Subsets A and C are written as digit pairs: in C each pair is itself, in A each
pair is a symbol value (so control characters travel as plain digits).
No `^FH` escape is needed: nothing in the field is a ZPL command character.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBSETS = ("B", "A", "C")  # on a tie B wins: it carries lower case too, so a run stays in it longer
_START = {"A": 103, "B": 104, "C": 105}
_LATCH = {"A": 101, "B": 100, "C": 99}  # the code value that switches to a subset (the same from either other one)
_ZPL_START = {"A": ">9", "B": ">:", "C": ">;"}
_ZPL_LATCH = {"A": ">7", "B": ">6", "C": ">5"}
_ZPL_B = {"^": "><", ">": ">0", "~": ">=", "\x7f": ">1"}
STOP = 106
QUIET_MODULES = 10  # the quiet zone each side, in modules (ISO/IEC 15417 minimum)


@dataclass(frozen=True, slots=True)
class Code128:
    """A value as runs of one subset each: [("C", "9400111899"), ("B", "US")]."""

    value: str
    runs: tuple[tuple[str, str], ...]

    @property
    def codes(self) -> list[int]:
        """Every symbol value: start, data and subset switches, check, stop."""
        codes: list[int] = []
        for subset, text in self.runs:
            codes.append(_START[subset] if not codes else _LATCH[subset])
            if subset == "C":
                codes.extend(int(text[i : i + 2]) for i in range(0, len(text), 2))
            else:
                codes.extend(_value_in(subset, ch) for ch in text)
        check = (codes[0] + sum(position * code for position, code in enumerate(codes[1:], start=1))) % 103
        return [*codes, check, STOP]

    @property
    def modules(self) -> int:
        """The symbol's width in modules, without quiet zones: 11 per symbol, 13 for the stop."""
        return 11 * (len(self.codes) - 1) + 13

    def zpl_field(self) -> str:
        """`^FD` data for `^BC` mode N."""
        parts: list[str] = []
        for subset, text in self.runs:
            parts.append(_ZPL_START[subset] if not parts else _ZPL_LATCH[subset])
            if subset == "C":
                parts.append(text)
            elif subset == "A":
                parts.append("".join(f"{_value_in('A', ch):02d}" for ch in text))
            else:
                parts.append("".join(_ZPL_B.get(ch, ch) for ch in text))
        return "".join(parts)


def _value_in(subset: str, ch: str) -> int:
    code = ord(ch)
    if subset == "A":
        return code - 32 if code >= 32 else code + 64
    return code - 32


def _fits(subset: str, ch: str) -> bool:
    code = ord(ch)
    return code < 96 if subset == "A" else 32 <= code < 128


def encode(value: str) -> Code128 | None:
    """The encoding with the fewest symbols, or None if Code 128 cannot carry the value
    (empty, or a character outside ASCII: no scan could give it back)."""
    if not value or any(ord(ch) > 127 for ch in value):
        return None
    n = len(value)
    inf = float("inf")
    # cost[i][s]: fewest symbols (start included) encoding value[:i] with subset s in force.
    cost = [dict.fromkeys(SUBSETS, inf) for _ in range(n + 1)]
    came: list[dict[str, tuple[int, str] | None]] = [dict.fromkeys(SUBSETS) for _ in range(n + 1)]
    for subset in SUBSETS:
        cost[0][subset] = 1
    for i in range(n + 1):
        # A switch costs one symbol; never worth two in a row.
        best = min(SUBSETS, key=lambda s: cost[i][s])
        for subset in SUBSETS:
            if cost[i][best] + 1 < cost[i][subset]:
                cost[i][subset], came[i][subset] = cost[i][best] + 1, (i, best)
        if i == n:
            break
        for subset in ("A", "B"):
            if _fits(subset, value[i]) and cost[i][subset] + 1 < cost[i + 1][subset]:
                cost[i + 1][subset], came[i + 1][subset] = cost[i][subset] + 1, (i, subset)
        pair = value[i : i + 2]
        if len(pair) == 2 and pair.isdigit() and cost[i]["C"] + 1 < cost[i + 2]["C"]:
            cost[i + 2]["C"], came[i + 2]["C"] = cost[i]["C"] + 1, (i, "C")
    subset = min(SUBSETS, key=lambda s: cost[n][s])
    if cost[n][subset] == inf:
        return None
    # Walk back: each step consumed value[j:i] in `subset` (or switched to it at i == j).
    runs: list[list[str]] = []
    i = n
    while True:
        step = came[i][subset]
        if step is None:
            break
        j, previous = step
        if j < i:
            if not runs or runs[-1][0] != subset:
                runs.append([subset, ""])
            runs[-1][1] = value[j:i] + runs[-1][1]
        i, subset = j, previous
    if not runs or runs[-1][0] != subset:
        runs.append([subset, ""])  # the start subset, if the walk ended on a switch
    runs.reverse()
    return Code128(value, tuple((s, text) for s, text in runs if text))


def module_width(code: Code128, room: int, widest: int = 3) -> int | None:
    """The widest whole-dot module (≤ `widest`) at which the symbol and its quiet zones
    fit in `room` dots, or None if not even a one-dot module fits."""
    for width in range(widest, 0, -1):
        if (code.modules + 2 * QUIET_MODULES) * width <= room:
            return width
    return None
