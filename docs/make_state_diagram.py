"""Draw the reconnect policy's state machine as SVG, from `TRANSITIONS` itself.

The docs show `docs/img/reconnect-states.svg`, a file of the site: it needs
no script from elsewhere at view time. The test suite checks that the file is
what this script draws from the table today. Run it after changing the table:

    .venv/bin/python docs/make_state_diagram.py
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from pathlib import Path

from ssec_proto.driver import TRANSITIONS

OUT = Path(__file__).parent / "img" / "reconnect-states.svg"

#: Where each state's box stands (its centre), and the size of a box.
BOXES = {"CONNECTING": (250, 110), "OPEN": (770, 110), "WAITING": (250, 440), "CLOSED": (770, 440)}
BOX_W, BOX_H = 150, 46

#: How each edge is drawn: its two ends as offsets from the boxes' centres,
#: and where its label stands (a point, and a text anchor).
EDGES = {
    ("CONNECTING", "OPEN"): ((75, 0), (-75, 0), (510, 98), "middle"),
    ("CONNECTING", "WAITING"): ((-35, 23), (-35, -23), (205, 260), "end"),
    ("WAITING", "CONNECTING"): ((35, -23), (35, 23), (295, 292), "start"),
    ("CONNECTING", "CLOSED"): ((75, 23), (-75, -23), (425, 165), "start"),
    ("OPEN", "WAITING"): ((-75, 23), (75, -23), (405, 372), "start"),
    ("OPEN", "CLOSED"): ((0, 23), (0, -23), (782, 280), "start"),
    ("WAITING", "CLOSED"): ((75, 0), (-75, 0), (510, 462), "middle"),
}
#: Loops: which corner of the box they leave from, and where the label stands.
LOOPS = {"OPEN": ((40, -23), (850, 30), "start"), "CLOSED": ((40, 23), (850, 520), "start")}

STYLE = (
    "text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px;"
    "fill:#222;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}.state{font-weight:600;font-size:14px}.box{fill:#eef3fb;stroke:#3f51b5;"
    "stroke-width:1.5}.edge{stroke:#555;stroke-width:1.3;fill:none}"
)


def _labels() -> dict[tuple[str, str], list[str]]:
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (state, event), target in TRANSITIONS.items():
        grouped[state.name, target.name].append(event.name)
    return grouped


def _text(x: float, y: float, lines: list[str], anchor: str, css: str = "") -> str:
    spans = "".join(
        f'<tspan x="{x:.0f}" dy="{0 if n == 0 else 16}">{escape(line)}</tspan>'
        for n, line in enumerate(lines)
    )
    klass = f' class="{css}"' if css else ""
    return f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}"{klass}>{spans}</text>'


def draw() -> str:
    """The SVG of the state machine in `TRANSITIONS`."""
    labels = _labels()
    drawn = set(EDGES) | {(state, state) for state in LOOPS}
    if set(labels) != drawn:
        raise SystemExit(f"the layout does not match TRANSITIONS: {set(labels) ^ drawn}")
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 560" width="1000" height="560"'
        ' role="img" aria-label="The reconnect policy\'s state machine">',
        f"<style>{STYLE}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8"'
        ' markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"'
        ' fill="#555"/></marker></defs>',
    ]
    # The start: an arrow into CONNECTING, as a new EventSource starts there.
    x, y = BOXES["CONNECTING"]
    parts.append(f'<circle cx="{x}" cy="22" r="7" fill="#222"/>')
    parts.append(
        f'<line class="edge" x1="{x}" y1="29" x2="{x}" y2="{y - BOX_H / 2:.0f}"'
        ' marker-end="url(#arrow)"/>'
    )
    for (source, target), (start, end, (lx, ly), anchor) in EDGES.items():
        (sx, sy), (tx, ty) = BOXES[source], BOXES[target]
        parts.append(
            f'<line class="edge" x1="{sx + start[0]}" y1="{sy + start[1]}" x2="{tx + end[0]}"'
            f' y2="{ty + end[1]}" marker-end="url(#arrow)"/>'
        )
        parts.append(_text(lx, ly, labels[source, target], anchor))
    for state, ((dx, dy), (lx, ly), anchor) in LOOPS.items():
        cx, cy = BOXES[state]
        x0, y0 = cx + dx, cy + dy
        bulge = -1 if dy < 0 else 1
        path = (
            f"M{x0},{y0} C{x0 + 10},{y0 + bulge * 55} {x0 + 95},{y0 + bulge * 40}"
            f" {cx + BOX_W / 2:.0f},{cy + bulge * 8}"
        )
        parts.append(f'<path class="edge" d="{path}" marker-end="url(#arrow)"/>')
        parts.append(_text(lx, ly, labels[state, state], anchor))
    for state, (x, y) in BOXES.items():
        parts.append(
            f'<rect class="box" x="{x - BOX_W / 2:.0f}" y="{y - BOX_H / 2:.0f}" width="{BOX_W}"'
            f' height="{BOX_H}" rx="10"/>'
        )
        parts.append(_text(x, y + 5, [state], "middle", "state"))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(draw(), encoding="utf-8")
    print(f"wrote {OUT}")
