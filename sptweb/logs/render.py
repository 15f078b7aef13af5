"""Log bytes to safe HTML lines: bad UTF-8 replaced, ANSI colours as classes, `\\r` progress
bars collapsed to their final state, everything escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# CSI (colours, cursor moves), charset and keypad switches, and OSC (titles, hyperlinks: ESC ] … BEL or ST).
_ESCAPE = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b[=>78]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # shown as nothing, never raw (a lone ESC included)
BASIC_COLOURS = 8


def render_lines(data: bytes) -> list[Markup]:
    """One Markup per line of `data` (complete lines; a trailing newline ends the last)."""
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [render_line(line) for line in lines]


def render_line(line: str) -> Markup:
    return _ansi_to_html(collapse_carriage_returns(line))


def collapse_carriage_returns(line: str) -> str:
    """A tqdm bar rewrites its line with `\\r`: keep what the terminal would show last."""
    line = line.removesuffix("\r")  # a CRLF line ending is not a rewrite
    if "\r" not in line:
        return line
    segments = [segment for segment in line.split("\r") if segment]
    return segments[-1] if segments else ""


def _ansi_to_html(line: str) -> Markup:
    out: list[str] = []
    classes: list[str] = []
    position = 0
    for match in _ESCAPE.finditer(line):
        _emit(out, line[position : match.start()], classes)
        position = match.end()
        if match.group(2) == "m":  # SGR: colours and weight; every other sequence is dropped
            classes = _apply_sgr(classes, match.group(1))
    _emit(out, line[position:], classes)
    return Markup("".join(out))


def _emit(out: list[str], text: str, classes: list[str]) -> None:
    if not text:
        return
    text = str(escape(_CONTROL.sub("", text)))
    out.append(f'<span class="{" ".join(classes)}">{text}</span>' if classes else text)


def _apply_sgr(classes: list[str], params: str) -> list[str]:
    codes = [int(code) for code in params.split(";") if code.isdigit()] or [0]
    state = {cls.split("-")[1]: cls for cls in classes}  # "fg", "bg", "bold", "dim", "italic", "underline"
    index = 0
    while index < len(codes):
        code = codes[index]
        if code == 0:
            state.clear()
        elif code in (1, 2, 3, 4):
            name = {1: "bold", 2: "dim", 3: "italic", 4: "underline"}[code]
            state[name] = f"ansi-{name}"
        elif code in (22, 23, 24):
            for name in {22: ("bold", "dim"), 23: ("italic",), 24: ("underline",)}[code]:
                state.pop(name, None)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            state["fg"] = f"ansi-fg-{code}"
        elif 40 <= code <= 47 or 100 <= code <= 107:
            state["bg"] = f"ansi-bg-{code}"
        elif code == 39:
            state.pop("fg", None)
        elif code == 49:
            state.pop("bg", None)
        elif code in (38, 48) and index + 2 < len(codes) and codes[index + 1] == 5:
            colour = codes[index + 2]  # 256-colour: keep the 16 basic ones, drop the rest
            if colour < 2 * BASIC_COLOURS:
                base = (30 if code == 38 else 40) + colour % BASIC_COLOURS + (60 if colour >= BASIC_COLOURS else 0)
                state["fg" if code == 38 else "bg"] = f"ansi-{'fg' if code == 38 else 'bg'}-{base}"
            index += 2
        elif code in (38, 48) and index + 1 < len(codes) and codes[index + 1] == 2:
            index += 4  # 24-bit colour: not rendered
        index += 1
    return list(state.values())
