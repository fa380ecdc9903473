"""The terminal reset wizard's words (cli/reset.py asks and answers; every line it shows is made here).

The steps themselves (titles, instructions, the reset text) are data in repair/reset_steps.py, in
EndNote's own words, shared with the window (web/strings.py holds the window's words around them).
"""

from __future__ import annotations

from endnoted.common.words import plural

CHOICE = "Your choice [d/n/w]:"
CHOICE_AGAIN = "Please answer d, n or w."
SITUATIONS_MENU = ("Which copy is right?\n  d  the Desktop library is right; EndNote Web is wrong\n"
                   "  n  another Desktop library should become the synced one\n"
                   "  w  the EndNote Web copy is right\n"
                   "(q at any question stops; once a run has started, it keeps its place.)")
NEW_LIBRARY = "Path of the library that should become the synced one (its .enl):"
DONE = "Done? [yes/no]:"
TAKE_YOUR_TIME = "Take your time; answer yes when the step is done (q stops here)."
PRESS_ENTER = "Press Enter when it is done:"
NOT_OBSERVABLE = "endnoted cannot see this here. Done? [yes/no]:"
CONFIRMED_BLIND = "the user confirmed (not observable here)"
LOOK_AGAIN = "Press Enter to look again, or type q to stop here (run endnoted reset later to continue):"
GO_ON_ANYWAY = "Go on anyway? [yes/no]:"
YES_OR_NO = "Please answer yes or no (q stops)."
DECLINED = "No reset was started, and none is needed: do the next action above."
NO_STDIN = "endnoted reset needs your answers, but stdin is closed or not a terminal"
NOTHING_LOST = "  The latest Web export holds nothing that this library lacks."
NOT_THE_NAME = "That is not the library's name."
EMAIL = ("Type your EndNote account e-mail to see the exact text to enter "
         "(it is not stored), or press Enter to skip:")
NO_BACKUP_NEXT = ("  The reset will not go further without one. Fix the cause (or give "
                  "--backup-dir on another disk) and run endnoted reset again.")


def do_not_reset(advice: list[str], name: str, path: object) -> list[str]:
    """The Web copy is right: no reset; the advice's first line is a sentence, the rest numbered steps."""
    lines = ["Then do not reset: " + advice[0][0].lower() + advice[0][1:]]
    lines += [f"  {number}. {line.format(name=name, path=path)}" for number, line in enumerate(advice[1:], 1)]
    return lines


def no_answer_within(seconds: float) -> str:
    return f"no answer on stdin within {seconds:.0f} s"


def unanswered(cause: str, step: int | None) -> str:
    """Why the wizard stopped without an answer, and where things stand: a run waiting at a step, or none."""
    if step is None:
        return f"{cause}; no reset was started and nothing changed: run endnoted reset in a terminal to start one"
    return f"{cause}; the run keeps its place at step {step}: run endnoted reset in a terminal to go on"


def not_called_for(verdict: str) -> list[str]:
    """The verdict (shown just above, with its reason and next action) does not propose the reset."""
    return [f"  ! endnoted's verdict is {verdict}: this does not call for a reset. Do the next action above first.",
            "    The reset deletes everything on EndNote Web; go on only if you know the Web copy is wrong."]


def no_export(path: object) -> str:
    return ("  ! endnoted has no Web export of this library to compare, so it cannot tell whether EndNote Web "
            "holds references this library lacks. To know first: save an export from EndNote Web and run "
            f'endnoted reset "{path}" --export FILE.')


def not_this_library(export: str, name: str, trust: str) -> str:
    """Like check's export.not-this-library: an export of another library is not evidence here."""
    return (f"  ! {export} does not look like an export of {name} ({trust}); it proves nothing about what the "
            "reset would delete. Export All My References from the EndNote Web account this library syncs with.")


def started(name: str, situation: str) -> str:
    return f"Started a reset of {name} ({situation})."


def resuming(name: str, step: object, situation: str) -> str:
    return f"Resuming the reset of {name} at step {step} ({situation})."


def step_heading(number: int, last: int, title: str, other_library: str | None) -> str:
    """A step's heading; `other_library` names the library it acts on when that is not the one being reset."""
    return f"\nStep {number} of {last}: {title}" + (f"  (library: {other_library})" if other_library else "")


def bullet(line: str) -> str:
    return f"  • {line}"


def indented(line: str) -> str:
    return f"  {line}"


def making_backup(folder: object) -> str:
    return f"  Making a proven backup in {folder} …"


def no_backup(error: object) -> list[str]:
    return [f"  ✗ No proven backup could be made: {error}", NO_BACKUP_NEXT]


def done(name: str) -> str:
    return f"\nDone. {name} and EndNote Web hold the same references again. endnoted keeps watching."


def resetting(path: object) -> str:
    return f"Resetting sync for {path}."


def seen(detail: str) -> str:
    return f"  ✓ {detail}"


def not_yet(detail: str) -> str:
    return f"  ✗ Not yet: {detail}"


def export_prompt(found: object | None) -> str:
    return f"The Web export to compare [{found}]:" if found else "Path of the Web export you saved:"


def web_only(count: int, name: str, titles: list[str]) -> list[str]:
    """Steps 2-4 would delete these from EndNote Web, and the library lacks them."""
    return ([f"  ! Steps 2-4 delete {plural(count, 'reference that is', 'references that are')} on EndNote Web "
             f"but NOT in {name}. They will be gone from EndNote Web:"]
            + [f"      - {title[:90]}" for title in titles])


def name_prompt(name: str) -> str:
    return f"Type the library's name ({name}) to go on, or q to stop:"


def reset_text(email: str, text: str) -> str:
    """What to type into EndNote's sync dialog: the e-mail is shown back, never stored."""
    return f"  Enter exactly:  {email}{text}" if email else f"  Append exactly:  {text}"
