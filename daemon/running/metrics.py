"""A Prometheus node_exporter text-file, written atomically, for help desks that already run Prometheus.

No server of ours: node_exporter's textfile collector reads the file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from endnoted.judging.findings import State
from endnoted.state.records import StoredReport


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(libraries: Iterable[StoredReport], *, heartbeat: float, now: float | None = None) -> str:
    """Given stored library reports, return the metrics text."""
    now = now or time.time()
    lines = [
        "# HELP endnoted_library_verdict 1 for the library's current verdict, 0 for the others.",
        "# TYPE endnoted_library_verdict gauge",
    ]
    series: dict[str, list[str]] = {"references": [], "trashed": [], "attachments": [], "waiting": [],
                                    "last_sync_age_seconds": []}
    for report in libraries:
        library = _label(report.path)
        for state in State:
            lines.append(f'endnoted_library_verdict{{library="{library}",verdict="{state.value}"}} '
                         f'{int(report.verdict is state)}')
        if report.counts is not None:
            counts = report.counts.to_json()
            for key in ("references", "trashed", "attachments"):
                series[key].append(f'endnoted_library_{key}{{library="{library}"}} {counts[key]}')
        if (waiting := report.waiting) is not None:
            series["waiting"].append(f'endnoted_library_waiting{{library="{library}"}} {waiting}')
            if (synced := report.last_sync) is not None:
                age = now - synced.timestamp()
                series["last_sync_age_seconds"].append(
                    f'endnoted_library_last_sync_age_seconds{{library="{library}"}} {age:.0f}')
    helps = {"references": "References not in the trash.", "trashed": "References in the trash.",
             "attachments": "Attachment records.", "waiting": "Pending changes, edits and new references not sent.",
             "last_sync_age_seconds": "Seconds since the library's last sync with EndNote Web."}
    for key, rows in series.items():
        lines += [f"# HELP endnoted_library_{key} {helps[key]}", f"# TYPE endnoted_library_{key} gauge", *rows]
    lines += ["# HELP endnoted_heartbeat_timestamp_seconds When the daemon last reported itself alive.",
              "# TYPE endnoted_heartbeat_timestamp_seconds gauge", f"endnoted_heartbeat_timestamp_seconds {heartbeat:.0f}"]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    """Write atomically: node_exporter must never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
