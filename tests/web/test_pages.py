"""The pages in a real browser: the overview, a library with its findings, history and backups.

Each test fills a real state store with real daemon passes over real (copied) and synthetic
libraries, starts the real `endnoted open`, and looks at what Chromium shows. Screenshots go to
build/web-screenshots/ (look at them: a page a person would find confusing is not done).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from endnoted.demo.builder import LibrarySpec, build, edit, synthetic_refs
from endnoted.judging.findings import Finding
from endnoted.reading.enlx import prove
from endnoted.state.store import Store
from endnoted.web import strings
from tests.conftest import tree_hash
from tests.web.conftest import (
    SCREENSHOTS,
    Window,
    daemon_pass,
    screenshot,
    verdict_libraries,
    wait_until,
)

VERDICTS = {"in-sync", "pending", "stale", "diverged", "damaged", "not-synced", "unknown"}


def state_db() -> Path:
    import os
    return Path(os.environ["ENDNOTED_STATE_DIR"]) / "state.db"


def test_the_overview_shows_each_verdict_as_colour_and_word(tmp_path: Path, real_copy: Callable[[str], Path],
                                                           open_window: Callable[..., Window], browser: Any) -> None:
    libraries = verdict_libraries(tmp_path / "libs", real_copy)
    before = tree_hash(*(lib.parent for lib in libraries.values()))
    daemon_pass(*libraries.values())
    window = open_window()
    browser.get(window.url)
    cold_start = time.monotonic() - window.started     # command start → first page served and shown
    assert "token" not in browser.current_url           # exchanged for the cookie, gone from the address
    shown = {badge.get_attribute("data-verdict"): badge for badge in browser.find_elements(By.CSS_SELECTOR, ".verdict")}
    assert set(shown) == VERDICTS
    for verdict, badge in shown.items():
        assert badge.text == strings.VERDICT_WORDS[verdict]                     # the word …
        assert badge.get_attribute("class").split()[-1] in ("good", "calm", "warn", "bad")   # … and the colour
    colours = {v: b.value_of_css_property("color") for v, b in shown.items()}
    assert colours["in-sync"] != colours["diverged"] != colours["stale"]
    cards = {card.get_attribute("data-library"): card for card in browser.find_elements(By.CSS_SELECTOR, ".card")}
    diverged = next(c for c in cards.values() if c.find_elements(By.CSS_SELECTOR, '[data-verdict="diverged"]'))
    assert diverged.find_element(By.CSS_SELECTOR, "a.button.primary").text == strings.ACTION_REPAIR
    in_sync = next(c for c in cards.values() if c.find_elements(By.CSS_SELECTOR, '[data-verdict="in-sync"]'))
    assert "ago" in in_sync.find_element(By.CSS_SELECTOR, ".facts dd").text        # last sync "… ago"
    assert "48 references" in in_sync.text
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "endnoted is not watching right now" in page                      # the daemon pass has stopped
    assert strings.ALERTS_REACH in page               # what the daemon's (recording) notifier said at its pass
    screenshot(browser, "overview")
    # Dark mode and 200 % zoom: still readable, nothing cut off sideways.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme",
                                                                          "value": "dark"}]})
    background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 24, 26)"
    screenshot(browser, "overview-dark")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 600, "height": 900,
                                                                   "deviceScaleFactor": 2, "mobile": False})
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    browser.save_screenshot(str(SCREENSHOTS / "overview-zoom-200.png"))
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    (SCREENSHOTS / "cold-start.json").write_text(json.dumps({"cold_start_seconds": round(cold_start, 2)}))
    assert cold_start < 20
    assert tree_hash(*(lib.parent for lib in libraries.values())) == before   # the window wrote no library


def test_keyboard_alone_reaches_the_repair(tmp_path: Path, real_copy: Callable[[str], Path],
                                           open_window: Callable[..., Window], browser: Any) -> None:
    from selenium.webdriver.common.keys import Keys
    libraries = verdict_libraries(tmp_path / "libs", real_copy)
    daemon_pass(libraries["diverged"], libraries["in-sync"])
    window = open_window()
    browser.get(window.url)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == strings.SKIP          # the first stop skips to the content
    for _ in range(12):
        active = browser.switch_to.active_element
        if active.text == strings.ACTION_REPAIR:
            break
        active.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == strings.ACTION_REPAIR
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_until(lambda: browser.find_element(By.TAG_NAME, "legend").text == strings.WIZARD_WHICH, 10, "the wizard")
    assert not browser.find_elements(By.ID, "not-needed")     # diverged: no "a reset is not called for" note
    assert not browser.find_elements(By.ID, "anyway")         # … and no "start it anyway" to tick
    for radio in browser.find_elements(By.CSS_SELECTOR, "input[type=radio]"):   # every control has a label
        assert radio.find_element(By.XPATH, "..").tag_name == "label"


@pytest.mark.skipif("references" not in Finding.__dataclass_fields__,
                    reason="findings do not name their references yet (the truth issue's lists)")
def test_a_library_page_lists_the_references_behind_a_finding(tmp_path: Path, real_copy: Callable[[str], Path],
                                                              open_window: Callable[..., Window],
                                                              browser: Any) -> None:
    thesis = verdict_libraries(tmp_path / "libs", real_copy)["diverged"]
    daemon_pass(thesis)
    with Store(state_db()) as store:
        row = store.library(str(thesis))
        assert row is not None and row.report is not None
        report = row.report.to_json()
    listed = [f for f in report["findings"] if f.get("references")]
    assert listed, "the diverged library's report names the references behind its findings"
    window = open_window(str(thesis))
    browser.get(window.url)
    assert browser.current_url.endswith("/reset")                  # a diverged library opens at the repair
    browser.get(browser.current_url.removesuffix("/reset"))
    finding = browser.find_element(By.CSS_SELECTOR, f'.finding[data-code="{listed[0]["code"]}"]')
    shown = [li.text for li in finding.find_elements(By.CSS_SELECTOR, ".refs li")]
    assert len(shown) == len(listed[0]["references"])
    for ref, line in zip(listed[0]["references"], shown, strict=True):
        assert ref["title"] in line and f"#{ref['record']}" in line
    screenshot(browser, "library")


def test_the_history_chart_has_a_point_per_reading_a_sync_and_a_drop(tmp_path: Path,
                                                                    open_window: Callable[..., Window],
                                                                    browser: Any) -> None:
    from datetime import UTC, datetime, timedelta
    refs = synthetic_refs(40, seed=3)
    refs[0].action = 1                                              # one edit waits to be sent
    enl = build(tmp_path / "lib", LibrarySpec(name="Dissertation", refs=refs,
                                              last_sync=datetime.now(UTC) - timedelta(hours=3))).resolve()
    database = enl.with_suffix(".Data") / "sdb" / "sdb.eni"
    daemon_pass(enl)
    time.sleep(1.1)
    with edit(database) as db:                                      # play EndNote: a sync completes
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        db.execute("UPDATE sync SET action = 0, usn = usn + 100 WHERE type = 1")
        db.execute("UPDATE misc SET value = CAST(? AS BLOB) WHERE code = 6 AND subcode = 41", (str(now_ms),))
        db.execute("UPDATE misc SET value = CAST((SELECT max(usn) FROM sync) AS BLOB) WHERE code = 6 AND subcode = 42")
    daemon_pass(enl)
    time.sleep(1.1)
    with edit(database) as db:                                      # … and then 12 references disappear
        db.execute("DELETE FROM refs WHERE id IN (SELECT id FROM refs ORDER BY id LIMIT 12)")
    daemon_pass(enl)
    with Store(state_db()) as store:
        readings = store.snapshots(str(enl))
    assert len(readings) == 3
    window = open_window(str(enl))
    browser.get(window.url)
    points = browser.find_elements(By.CSS_SELECTOR, "svg.chart circle.point")
    assert len(points) == len(readings)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart line.sync")) == 1
    drop = browser.find_element(By.CSS_SELECTOR, "svg.chart .drop text")
    assert drop.text == strings.CHART_DROP.format(references=strings.count(12, strings.REFERENCES)) == "−12 references"
    heights = [float(p.get_attribute("cy")) for p in points]
    assert heights[2] > heights[1]                                  # fewer references: lower on the chart
    screenshot(browser, "library-history")


def test_a_backup_made_from_the_page_is_proven(tmp_path: Path, real_copy: Callable[[str], Path],
                                               open_window: Callable[..., Window], browser: Any) -> None:
    enl = (real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl").resolve()
    (tmp_path / "config.toml").write_text(f'backups_dir = "{tmp_path / "backups"}"\n')
    before = tree_hash(enl.parent)
    daemon_pass(enl)
    window = open_window(str(enl))
    browser.get(window.url)
    browser.find_element(By.LINK_TEXT, strings.LIBRARY_BACKUPS).click()
    assert browser.find_element(By.TAG_NAME, "main").text.count(strings.BACKUPS_NONE) == 1
    browser.find_element(By.XPATH, f'//button[text()="{strings.BACKUP_NOW}"]').click()
    bar = wait_until(lambda: browser.find_element(By.ID, "progress"), 10, "the progress bar")
    assert bar.get_attribute("max") == "100"
    screenshot(browser, "backup-progress")
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "tr[data-backup]"), 60, "the backup in the table")
    [row] = browser.find_elements(By.CSS_SELECTOR, "tr[data-backup]")
    made = Path(row.get_attribute("data-backup"))
    assert made.parent == tmp_path / "backups" and made.suffix == ".enlx"
    proof = prove(made)                                             # proven independently of the page
    assert proof.counts is not None and proof.counts.references == 48
    assert "48" in row.text
    row.find_element(By.XPATH, f'.//button[text()="{strings.BACKUP_VERIFY}"]').click()
    note = wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "p.note[role=status]"), 10, "the verdict")
    assert note.text == strings.BACKUP_VERIFIED.format(path=made, references="48 references")
    screenshot(browser, "backups")
    assert tree_hash(enl.parent) == before
