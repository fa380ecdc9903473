"""The history chart of one library, drawn on the server as SVG: no script, no library, works offline.

It answers "when did my references disappear?": references, trash and waiting work per reading,
a dashed line at every sync endnoted saw, and every fall in references called out in red.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from endnoted.state.records import SnapshotRow, SyncEvent
from endnoted.web import strings as t

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 28, 44


@dataclass(frozen=True)
class Reading:
    at: datetime
    references: int
    trashed: int
    waiting: int


def readings(snapshots: Sequence[SnapshotRow]) -> list[Reading]:
    """Given the store's snapshot rows (any order), the readings that counted something, oldest first."""
    found = [Reading(row.taken_at, row.references, row.trashed or 0, (row.pending or 0) + (row.unsynced or 0))
             for row in snapshots if row.references is not None]
    return sorted(found, key=lambda reading: reading.at)


def _anchor(cx: float) -> str:
    """Keep a label inside the chart near its edges."""
    return "end" if cx > WIDTH - RIGHT - 70 else "start" if cx < LEFT + 70 else "middle"


def svg(name: str, snapshots: Sequence[SnapshotRow], syncs: Sequence[SyncEvent]) -> str:
    """Return the chart as an SVG element (already escaped: safe to insert as markup)."""
    points = readings(snapshots)
    title = escape(t.CHART_TITLE.format(name=name))
    if not points:
        return f'<p class="empty">{escape(t.CHART_EMPTY)}</p>'
    start, end = points[0].at.timestamp(), points[-1].at.timestamp()
    span = max(end - start, 1.0)
    top = max(max(p.references, p.trashed, p.waiting) for p in points)
    top = max(10, int(top * 1.15) + 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: float) -> float:
        return LEFT + (inner_w / 2 if end == start else (moment - start) / span * inner_w)

    def y(value: int) -> float:
        return TOP + inner_h - value / top * inner_h

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{title}</title>']
    for value in (0, top // 2, top):
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
                     f'<text class="tick" x="{LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>')
    labels = [points[0].at, points[-1].at] if end != start else [points[0].at]
    for label, anchor in zip(labels, ("start", "end") if len(labels) == 2 else ("middle",), strict=True):
        shown = f"{label.astimezone():%Y-%m-%d %H:%M}" + (f":{label.astimezone():%S}" if span < 600 else "")
        parts.append(f'<text class="tick" x="{x(label.timestamp()):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                     f'text-anchor="{anchor}">{shown}</text>')
    for sync in syncs:
        moment = sync.seen_at.timestamp()
        if start <= moment <= end:
            parts.append(f'<line class="sync" x1="{x(moment):.1f}" x2="{x(moment):.1f}" y1="{TOP}" '
                         f'y2="{TOP + inner_h}"><title>{escape(t.CHART_SYNC)}</title></line>'
                         f'<text class="sync-label" x="{x(moment) + 3:.1f}" y="{TOP - 8}">{escape(t.CHART_SYNC)}</text>')
    series: tuple[tuple[str, list[int]], ...] = (
        ("trash", [p.trashed for p in points]), ("waiting", [p.waiting for p in points]),
        ("references", [p.references for p in points]))
    for name_, values in series:
        line = " ".join(f"{x(p.at.timestamp()):.1f},{y(v):.1f}" for p, v in zip(points, values, strict=True))
        parts.append(f'<polyline class="series {name_}" points="{line}"/>')
    for before, after in zip(points, points[1:], strict=False):
        if after.references < before.references:
            cx, cy = x(after.at.timestamp()), y(after.references)
            drop = escape(t.CHART_DROP.format(references=t.count(before.references - after.references, t.REFERENCES)))
            parts.append(f'<g class="drop"><line x1="{cx:.1f}" x2="{cx:.1f}" y1="{cy:.1f}" y2="{cy + 22:.1f}"/>'
                         f'<text x="{cx:.1f}" y="{cy + 36:.1f}" text-anchor="{_anchor(cx)}">{drop}</text></g>')
    for p in points:
        tip = escape(t.CHART_POINT.format(at=f"{p.at.astimezone():%Y-%m-%d %H:%M}", references=t.count(p.references, t.REFERENCES),
                                          trashed=p.trashed, waiting=p.waiting))
        parts.append(f'<circle class="point" cx="{x(p.at.timestamp()):.1f}" cy="{y(p.references):.1f}" r="4">'
                     f'<title>{tip}</title></circle>')
    parts.append("</svg>")
    legend = "".join(f'<li class="key {cls}">{escape(text)}</li>' for cls, text in (
        ("references", t.CHART_REFERENCES), ("trash", t.CHART_TRASH), ("waiting", t.CHART_WAITING),
        ("sync", t.CHART_SYNC)))
    return "".join(parts) + f'<ul class="legend">{legend}</ul>'
