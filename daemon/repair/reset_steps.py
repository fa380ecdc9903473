"""The reset procedure (DESIGN.md §6) as data: what to do, in EndNote's own words, and what the wizard can see.

`check` names the observation the wizard makes when the user says the step is done; None means
the wizard cannot see it and asks for confirmation instead (and records that it asked).
"""

from __future__ import annotations

from dataclasses import dataclass

RESET_TEXT = "#!resetLocalSync"  # exactly this case: EndNote compares it case-sensitively


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    lines: tuple[str, ...]
    check: str | None = None        # observation name, see reset.OBSERVERS
    on: str = "library"             # "library" (the one reset) or "target" (the one to be synced)
    irreversible: bool = False


STEPS: tuple[Step, ...] = (
    Step(0, "A proven backup", ("endnoted makes a compressed library backup (.enlx) and proves it before anything "
                                "else happens.",), "backup"),
    Step(1, "Turn off automatic sync, then restart EndNote", (
        "In EndNote open Edit → Preferences → Sync (on a Mac: EndNote → Settings → Sync).",
        "Untick \"Sync Automatically\" and click OK.",
        "Quit EndNote completely, then start it again."), "restarted"),
    Step(2, "Delete every reference on EndNote Web", (
        "On EndNote Web, open All My References.",
        "Tick \"All\" (not \"Page\": All selects every reference, not just the page shown).",
        "Click Delete, and confirm."), None, irreversible=True),
    Step(3, "Delete your groups on EndNote Web", (
        "On EndNote Web choose Organize → Manage My Groups.",
        "Delete every group except shared groups and ResearcherID groups."), None, irreversible=True),
    Step(4, "Empty the trash on EndNote Web and on Desktop", (
        "On EndNote Web open Trash and click Empty Trash.",
        "In EndNote Desktop right-click Trash and choose Empty Trash."), "trash-empty", irreversible=True),
    Step(5, "Mark the local sync state for reset", (
        "In EndNote Desktop open Edit → Preferences → Sync (on a Mac: EndNote → Settings → Sync).",
        f"Click at the end of your e-mail address and type {RESET_TEXT} (exactly this, case-sensitive) "
        "straight after it, with no space.",
        "Click OK."), None),
    Step(6, "Sync", ("In EndNote Desktop click the Sync button (or Library → Sync).",), None),
    Step(7, "Accept the two messages", (
        "EndNote warns: \"A Sync library can be linked to only one account.\" Click OK.",
        "It then says: \"Your local sync state has been reset. Please re-enter your E-Mail Address, restart "
        "EndNote, and Sync again.\" Click OK."), "ledger-cleared"),
    Step(8, "Restart EndNote", ("Quit EndNote completely, then start it again.",), "restarted"),
    Step(9, "Open the library that should be synced", (
        "In EndNote choose File → Open Library and open the library that should be synced.",), "opened",
        on="target"),
    Step(10, "Enter your account again and turn automatic sync back on", (
        "Open Edit → Preferences → Sync (on a Mac: EndNote → Settings → Sync).",
        f"Remove {RESET_TEXT} so that only your real e-mail address remains, and enter your password.",
        "Tick \"Sync Automatically\" and click OK."), None, on="target"),
    Step(11, "Sync again", (
        "Click Sync. EndNote warns again that a Sync library can be linked to only one account: click OK.",),
        None, on="target"),
    Step(12, "EndNote's own backup", (
        "EndNote offers to back up the library first. endnoted's proven backup from step 0 is recent, so "
        "you may skip it; take it if you prefer two.",), None, on="target"),
    Step(13, "Let the full sync finish", (
        "The full sync runs now. With many references and attachments it can take a long time; leave EndNote "
        "open until it says it is done.",), "synced", on="target"),
    Step(14, "Check that EndNote Web matches", (
        "On EndNote Web open All My References, tick All, and choose Format → Export References "
        "(EndNote XML or RIS). Save the file in your Downloads folder.",
        "endnoted compares it with the library."), "export-matches", on="target"),
)
LAST_STEP = STEPS[-1].number

# The Web-is-right branch: no reset, because a reset would replace the Web copy with this library.
WEB_RIGHT_TITLE = "Then do not reset"
WEB_RIGHT = (
    "A reset would replace the Web copy with this library. The safer path keeps both:",
    "In EndNote choose File → New and create a new, empty library.",
    "In Edit → Preferences → Sync (Mac: EndNote → Settings → Sync) sign in and choose the new library; click Sync. "
    "EndNote downloads everything from EndNote Web into it.",
    "Keep {name} as it is: endnoted changed nothing. To see what differs: "
    'endnoted compare "{path}" "NEW.enl" (the new library\'s .enl).',
)
