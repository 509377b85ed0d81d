"""`make bench`'s last step: every figure the bench modules wrote to
var/bench/*.json, in one table (each figure beside its target, met or not),
one file (var/bench/bench.json) and one chart a person can open
(var/bench/bench.svg: a bar per figure, scaled within its goal and unit;
hand-written SVG, like the ops dashboard's charts).

Run as `python bench/report.py` (no Django needed).
"""

import json
import sys
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"
COMBINED = ("bench.json",)
# Green met, burnt orange not met, grey no target: each >= 4.5:1 on white;
# the label says it in words as well ("met" / "NOT met"), so colour is never alone.
COLOURS = {True: "#2d7a3a", False: "#b8410f", None: "#5c5c5c"}
WIDTH, ROW, LABEL, BAR = 1100, 22, 520, 300


def load() -> list[dict[str, Any]]:
    goals = []
    for path in sorted(BENCH_DIR.glob("*.json")):
        if path.name in COMBINED:
            continue
        data = json.loads(path.read_text())
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
        goals.append(
            {"source": f"{path.name}, written {written}", "goal": data["goal"], "rows": data["rows"]}
        )
    return goals


def verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: ""}[met]


def table(goals: list[dict[str, Any]]) -> str:
    lines = []
    for goal in goals:
        lines.append(f"\n{goal['goal']}  ({goal['source']})")
        lines.append(f"  {'figure':<66}{'value':>12} {'unit':<13}{'target':<26}result")
        for item in goal["rows"]:
            target = item.get("target") or "-"
            lines.append(
                f"  {item['name'][:66]:<66}{item['value']:>12,.3f} {item['unit']:<13}{target:<26}"
                f"{verdict(item.get('met'))}"
            )
    judged = [item for goal in goals for item in goal["rows"] if item.get("met") is not None]
    met = sum(1 for item in judged if item["met"])
    lines.append(f"\n{met} of {len(judged)} judged figures meet their target.")
    return "\n".join(lines)


def chart(goals: list[dict[str, Any]], generated: str) -> str:
    """One bar per figure; bars of one goal and one unit share a scale."""
    rows = sum(len(goal["rows"]) + 2 for goal in goals)
    height = 60 + rows * ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="t d" '
        'font-family="system-ui, sans-serif" font-size="13">',
        '<title id="t">make bench: each figure beside its target</title>',
        f'<desc id="d">{escape(table(goals))}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        f'<text x="12" y="24" font-size="16" font-weight="bold">make bench, {escape(generated)}</text>',
        '<text x="12" y="44" fill="#333">Green: target met; orange: not met; grey: no target '
        "(reported). Bars share a scale within a goal and unit.</text>",
    ]
    y = 60
    for goal in goals:
        y += ROW
        parts.append(f'<text x="12" y="{y}" font-weight="bold">{escape(goal["goal"])}</text>')
        tops: dict[str, float] = {}
        for item in goal["rows"]:
            tops[item["unit"]] = max(tops.get(item["unit"], 0.0), abs(float(item["value"])))
        for item in goal["rows"]:
            y += ROW
            top = tops[item["unit"]] or 1.0
            length = max(1.0, BAR * abs(float(item["value"])) / top)
            colour = COLOURS[item.get("met")]
            label = f"{item['value']:,.3f} {item['unit']}"
            if item.get("target"):
                label += f" (target {item['target']}: {verdict(item.get('met'))})"
            parts += [
                f'<text x="24" y="{y}">{escape(item["name"][:72])}</text>',
                f'<rect x="{LABEL}" y="{y - 13}" width="{length:.1f}" height="15" fill="{colour}"/>',
                f'<text x="{LABEL + length + 6:.1f}" y="{y}" fill="#111">{escape(label)}</text>',
            ]
        y += ROW // 2
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> int:
    goals = load()
    if not goals:
        print(f"no figures in {BENCH_DIR}: run the bench first", file=sys.stderr)
        return 1
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    (BENCH_DIR / "bench.json").write_text(
        json.dumps({"generated": generated, "goals": goals}, indent=2) + "\n"
    )
    (BENCH_DIR / "bench.svg").write_text(chart(goals, generated))
    print(table(goals))
    print(f"\nWritten: {BENCH_DIR / 'bench.json'}, {BENCH_DIR / 'bench.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
