"""The reset wizard as pages: the same engine and state file as `endnoted reset`.

Walked in Chromium from step 0 (a real proven backup) to step 1, which waits on an observation
(EndNote restarted), then continued in the real terminal wizard from that same step, and back in
the page again. EndNote cannot run here: a real process named "EndNote" stands in for it, as in
tests/test_reset.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from endnoted.reading.enlx import prove
from endnoted.web import strings
from tests.conftest import Wizard, run, tree_hash
from tests.web.conftest import Window, daemon_pass, screenshot, wait_until


def step_of(browser: Any) -> int:
    return int(browser.find_element(By.CSS_SELECTOR, "section.step").get_attribute("data-step"))


def test_the_wizard_walked_in_the_page_continues_in_the_terminal_and_back(
        tmp_path: Path, real_copy: Callable[[str], Path], endnote: Callable[[], None],
        open_window: Callable[..., Window], browser: Any) -> None:
    enl = (real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl").resolve()
    (tmp_path / "config.toml").write_text(f'backups_dir = "{tmp_path / "backups"}"\n')
    before = tree_hash(enl.parent)
    daemon_pass(enl)
    endnote()
    window = open_window(str(enl))
    browser.get(window.url)
    wizard = browser.current_url.rstrip("/") + "/reset"
    browser.get(wizard)
    wait_until(lambda: browser.find_element(By.TAG_NAME, "legend").text == strings.WIZARD_WHICH, 30, "step: which copy")
    # Truth first: the library is in sync, and the page says a reset is not called for before offering one.
    notice = browser.find_element(By.ID, "not-needed").text
    assert "nothing it can see calls for a reset" in notice.lower()
    assert "“In sync”: Everything in the library has been sent" in notice
    assert "do this first" not in notice.lower()                     # in sync: there is nothing to do first
    screenshot(browser, "wizard-start")
    # Not called for: the reset starts only on an explicit tick, as the terminal asks "Go on anyway?".
    browser.find_element(By.CSS_SELECTOR, 'input[value="desktop-right"]').click()
    browser.find_element(By.XPATH, f'//button[text()="{strings.WIZARD_BEGIN}"]').click()
    wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "p.note[role=status]").text ==
               strings.WIZARD_ANYWAY_NEEDED, 30, "the refusal without the tick")
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None   # no run was started
    browser.find_element(By.CSS_SELECTOR, 'input[value="desktop-right"]').click()
    browser.find_element(By.ID, "anyway").click()
    browser.find_element(By.XPATH, f'//button[text()="{strings.WIZARD_BEGIN}"]').click()
    wait_until(lambda: step_of(browser) == 0, 30, "step 0")
    screenshot(browser, "wizard-step-0")
    browser.find_element(By.ID, "act").click()                       # make the proven backup
    wait_until(lambda: browser.find_element(By.ID, "progress"), 30, "the backup's progress bar")
    wait_until(lambda: step_of(browser) == 1, 60, "step 1 once the backup is proven")
    [backup] = (tmp_path / "backups").glob("*.enlx")
    assert prove(backup).counts is not None
    status = json.loads(run("reset", "--status", "--json", str(enl)).stdout)   # the terminal's view of the run
    assert (status["step"], status["backup"], status["observed"][0]["how"]) == (1, str(backup), "seen")
    # Step 1 waits on an observation: the page shows it live, without a click.
    wait_until(lambda: browser.find_element(By.ID, "live-text").text.startswith("Not yet: EndNote was not restarted"),
               15, "the live observation")
    screenshot(browser, "wizard-step-1-waiting")
    browser.find_element(By.ID, "act").click()                       # "I have done this: check" (but it is not)
    try:
        wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "p.note[role=status]").text.startswith(
            "Not yet: EndNote was not restarted"), 30, "the answer")
    except AssertionError as error:
        from endnoted.reading.endnote_proc import find_endnote
        raise AssertionError(f"{error}: the page says {browser.find_element(By.TAG_NAME, 'main').text[:600]!r}; "
                             f"EndNote processes: {find_endnote()}") from None
    assert step_of(browser) == 1
    # Continue in the terminal, from the same step.
    terminal = Wizard(str(enl))
    terminal.expect("Resuming the reset of My EndNote Library at step 1")
    terminal.expect("Press Enter when it is done:")
    endnote()                                                        # the user restarts EndNote
    terminal.answer("")
    terminal.expect("EndNote restarted")
    terminal.expect("Step 2 of 14")
    terminal.expect("to go on, or q to stop:")
    # While the terminal holds the run, the page cannot act on it, and says why.
    wait_until(lambda: step_of(browser) == 2, 15, "the page following the terminal to step 2 by itself")
    browser.find_element(By.ID, "typed").send_keys("My EndNote Library")
    browser.find_element(By.ID, "act").click()
    wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "p.note[role=status]").text == strings.WIZARD_BUSY, 10,
               "the refusal while the terminal holds the run")
    terminal.answer("q")
    assert terminal.finish() == 3
    assert "Stopped at step 2; nothing is lost." in terminal.seen
    # … and back in the page: the typed name, the friction before the Web deletions.
    browser.get(wizard)
    assert step_of(browser) == 2
    screenshot(browser, "wizard-step-2-typed-name")
    browser.find_element(By.ID, "typed").send_keys("my endnote library")
    browser.find_element(By.ID, "act").click()
    wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "p.note[role=status]").text == strings.WIZARD_NAME_WRONG,
               30, "the refusal of a wrong name")
    browser.find_element(By.ID, "typed").send_keys("My EndNote Library")
    browser.find_element(By.ID, "act").click()
    wait_until(lambda: browser.find_element(By.ID, "act").text == strings.WIZARD_DONE_ASK, 30, "step 2's question")
    browser.find_element(By.ID, "act").click()
    wait_until(lambda: step_of(browser) == 3, 30, "step 3")
    status = json.loads(run("reset", "--status", "--json", str(enl)).stdout)
    assert status["step"] == 3
    assert [(o["step"], o["how"]) for o in status["observed"]] == [
        (0, "seen"), (1, "contradicted"), (1, "seen"), (2, "typed"), (2, "asked")]
    assert tree_hash(enl.parent) == before                           # neither front end wrote the library


def test_the_web_is_right_branch_does_not_reset(tmp_path: Path, real_copy: Callable[[str], Path],
                                               open_window: Callable[..., Window], browser: Any) -> None:
    enl = (real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl").resolve()
    daemon_pass(enl)
    window = open_window(str(enl))
    browser.get(window.url)
    browser.get(browser.current_url.rstrip("/") + "/reset")
    browser.find_element(By.CSS_SELECTOR, 'input[value="web-right"]').click()
    browser.find_element(By.XPATH, f'//button[text()="{strings.WIZARD_BEGIN}"]').click()
    wait_until(lambda: browser.find_element(By.TAG_NAME, "h1").text == "Then do not reset", 30, "the advice")
    assert "File → New" in browser.find_element(By.TAG_NAME, "main").text
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None


def test_the_whole_reset_walked_in_the_page(tmp_path: Path, real_copy: Callable[[str], Path],
                                            endnote: Callable[[], None], open_window: Callable[..., Window],
                                            browser: Any) -> None:
    """All 15 steps in the page, playing EndNote's part on the library copy between them."""
    from tests.repair.test_reset import full_sync, reset_local_sync, web_export
    enl = (real_copy("Wanganlin00-EndNote/en21-synced") / "My EndNote Library.enl").resolve()
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    (tmp_path / "config.toml").write_text(f'backups_dir = "{tmp_path / "backups"}"\nexport_folders = ["{downloads}"]\n')
    daemon_pass(enl)
    endnote()
    window = open_window(str(enl))
    browser.get(window.url)
    wizard = browser.current_url.rstrip("/") + "/reset"
    browser.get(wizard)

    def act(step: int, *, then: int | None = None) -> None:
        wait_until(lambda: step_of(browser) == step, 30, f"step {step}")
        browser.find_element(By.ID, "act").click()
        if then is not None:
            wait_until(lambda: step_of(browser) == then, 60, f"step {then}")

    browser.find_element(By.CSS_SELECTOR, 'input[value="desktop-right"]').click()
    browser.find_element(By.ID, "anyway").click()                   # in sync: a reset is not called for
    browser.find_element(By.XPATH, f'//button[text()="{strings.WIZARD_BEGIN}"]').click()
    act(0, then=1)                                                   # the proven backup
    endnote()                                                        # restarted
    act(1, then=2)
    browser.find_element(By.ID, "typed").send_keys("My EndNote Library")
    act(2)
    wait_until(lambda: browser.find_element(By.ID, "act").text == strings.WIZARD_DONE_ASK, 30, "step 2's question")
    act(2, then=3)
    act(3, then=4)
    act(4, then=5)                                                   # the Desktop trash is empty already
    browser.find_element(By.ID, "email").send_keys("jane.doe@example.org")
    assert browser.find_element(By.ID, "reset-text").text == "jane.doe@example.org#!resetLocalSync"
    assert browser.find_element(By.ID, "reset-label").text == strings.WIZARD_EMAIL_RESULT
    screenshot(browser, "wizard-step-5")
    act(5, then=6)
    act(6, then=7)
    reset_local_sync(enl)
    act(7, then=8)
    endnote()
    act(8, then=9)
    act(9)                                                           # which files EndNote holds open: unseen here
    wait_until(lambda: browser.find_element(By.ID, "act").text == strings.WIZARD_UNSEEN_CONFIRM, 30, "the question")
    act(9, then=10)
    act(10, then=11)
    act(11, then=12)
    act(12, then=13)
    full_sync(enl)
    act(13, then=14)
    export = web_export(enl, downloads / "web-after.txt")
    browser.refresh()
    assert browser.find_element(By.ID, "export").get_attribute("value") == str(export)
    act(14)
    wait_until(lambda: strings.WIZARD_DONE.format(name="My EndNote Library") in
               browser.find_element(By.TAG_NAME, "main").text, 30, "the end")
    screenshot(browser, "wizard-done")
    assert json.loads(run("reset", "--status", "--json", str(enl)).stdout)["step"] is None
    state = Path(os.environ["ENDNOTED_STATE_DIR"])
    assert b"jane.doe@example.org" not in b"".join(p.read_bytes() for p in state.glob("state.db*"))
