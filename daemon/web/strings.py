"""Every word the web pages show, in one place, so that they can be translated later.

The reset procedure's own words (step titles and instructions, in EndNote's terms) live with the
procedure in `endnoted.repair.reset_steps`; the engine's observations come from `endnoted.repair.reset`.
Templates reach these as `t.NAME`; Python code formats the ones with {placeholders}. A count comes
into a template as a counted phrase, `count(n, REFERENCES)`, so one reads as one ("1 reference").
"""

from __future__ import annotations

from typing import Final

from endnoted.common.words import plural

# Nouns a count comes with: (one, many).
REFERENCES: Final = ("reference", "references")
ATTACHED_FILES: Final = ("attached file", "attached files")
REFERENCES_THAT_ARE: Final = ("reference that is", "references that are")
THEY: Final = ("It", "They")


def count(number: int, noun: tuple[str, str]) -> str:
    """A count with its noun agreeing: "1 reference", "2 references"."""
    return plural(number, *noun)


def one_or_many(number: int, forms: tuple[str, str]) -> str:
    """The word that agrees with a count, without the count: "It" for one, "They" for more."""
    return forms[0] if number == 1 else forms[1]


APP: Final = "endnoted"
TAGLINE: Final = "Is your EndNote library still in sync with EndNote Web?"
SKIP: Final = "Skip to the content"
NAV_OVERVIEW: Final = "All libraries"
NAV_CLOSE: Final = "Close endnoted"
CLOSE_HINT: Final = "Stops this window's small local server. Your libraries and the daemon are not affected."
CLOSED_TITLE: Final = "endnoted is closed"
CLOSED_BODY: Final = "You can close this browser tab. To open it again, run endnoted open or use the endnoted launcher."

# overview
OVERVIEW_TITLE: Final = "Your EndNote libraries"
DAEMON_RUNNING: Final = "endnoted is watching your libraries (since {since})."
DAEMON_NOT_RUNNING: Final = "endnoted is not watching right now: {why}. What you see below may be old."
DAEMON_START_HINT: Final = "Start it with endnoted service install (it then starts at every logon)."
ALERTS_REACH: Final = "Alerts reach you as desktop notifications."
ALERTS_DO_NOT_REACH: Final = "Alerts cannot reach you: {why}. Check this page, or endnoted status, instead."
NO_LIBRARIES: Final = "endnoted has not read any library yet."
NO_LIBRARIES_HINT: Final = ("Start the daemon (endnoted run, or endnoted service install) or check one library now "
                            "with endnoted check PATH.")
COL_LIBRARY: Final = "Library"
COL_VERDICT: Final = "State"
COL_REASON: Final = "Why"
COL_LAST_SYNC: Final = "Last sync"
COL_COUNTS: Final = "References"
COL_ACTION: Final = "What to do"
NEVER: Final = "never"
UNKNOWN_TIME: Final = "not known"
COUNTS: Final = "{references}, {trashed} in the trash, {attachments}"
CHECKED: Final = "checked {ago}"
OPEN_LIBRARY: Final = "Details"
ACTION_REPAIR: Final = "Start the guided repair"
ACTION_CONTINUE: Final = "Continue the repair (step {step})"
ACTION_BACKUP: Final = "Make a backup first"

VERDICT_WORDS: Final = {
    "in-sync": "In sync", "pending": "Syncing", "stale": "Not synced lately", "diverged": "Out of sync",
    "damaged": "Damaged", "not-synced": "Not synced", "unknown": "Unknown", "gone": "Gone",
}

# a library
LIBRARY_FINDINGS: Final = "What endnoted found"
LIBRARY_NO_FINDINGS: Final = "Nothing to report."
FINDING_REFERENCES: Final = "The references behind this ({count})"
FINDING_MORE: Final = "… and {count} more."
RECORD: Final = "#{record} "
NO_TITLE: Final = "(no title)"
LIBRARY_HISTORY: Final = "History"
LIBRARY_HISTORY_HINT: Final = ("Each dot is one reading by endnoted. Dashed lines mark syncs; a red label marks a "
                               "drop in references.")
CHART_TITLE: Final = "References, trash and waiting work over time for {name}"
CHART_REFERENCES: Final = "references"
CHART_TRASH: Final = "in the trash"
CHART_WAITING: Final = "waiting to sync"
CHART_SYNC: Final = "sync"
CHART_DROP: Final = "−{references}"
CHART_EMPTY: Final = "No readings yet: the history starts once the daemon has read this library."
CHART_POINT: Final = "{at}: {references}, {trashed} in the trash, {waiting} waiting"
READINGS_TABLE: Final = "Every reading as a table ({count})"
LIBRARY_BACKUPS: Final = "Backups"
LIBRARY_PATH: Final = "File"

# backups
BACKUPS_TITLE: Final = "Backups of {name}"
BACKUPS_NONE: Final = "No backup of this library yet."
BACKUP_NOW: Final = "Make a proven backup now"
BACKUP_WHERE: Final = "New backups go to {folder}."
BACKUP_VERIFY: Final = "Verify"
BACKUP_VERIFIED: Final = "Verified: {path} opens and holds {references}."
REFERENCES_UNKNOWN: Final = "? references"
BACKUP_BROKEN: Final = "This backup does not prove itself: {error}"
BACKUP_MISSING: Final = "The file is gone: {path}"
COL_MADE: Final = "Made"
COL_FILE: Final = "Where it is"
COL_SIZE: Final = "Size"
COL_PROVEN: Final = "Last proven"
JOB_TITLE: Final = "Making a proven backup of {name}"
JOB_RUNNING: Final = "Copying and proving… keep EndNote as it is."
JOB_DONE: Final = "Done: a proven backup of {references} is at {path}."
JOB_FAILED: Final = "No backup was made: {error}. Nothing that looks like a backup was left behind."
JOB_BACK: Final = "Back"
JOB_PROGRESS: Final = "Backup progress"

# the wizard
WIZARD_TITLE: Final = "Repair the sync of {name}"
WIZARD_INTRO: Final = ("This guide resets EndNote's local sync, one step at a time, with a proven backup first. You "
                       "can stop at any step: endnoted keeps your place, here and in the terminal (endnoted reset).")
WIZARD_EVIDENCE: Final = "What endnoted sees"
WIZARD_NOT_NEEDED: Final = ("endnoted's verdict for this library is “{word}”: {reason} Nothing it can see calls for a "
                            "reset.{first} The reset deletes everything on EndNote Web; go on only if you know the "
                            "Web copy is wrong.")
WIZARD_DO_FIRST: Final = " Do this first: {next_action}"
WIZARD_ANYWAY: Final = "I know the EndNote Web copy is wrong: start the reset anyway"
WIZARD_ANYWAY_NEEDED: Final = ("endnoted sees nothing in this library that calls for a reset. Read the note below; to "
                               "start one all the same, tick “I know the EndNote Web copy is wrong”.")
WIZARD_WHICH: Final = "Which copy is right?"
SITUATION_DESKTOP: Final = "The Desktop library is right; EndNote Web is wrong"
SITUATION_NEW: Final = "Another Desktop library should become the synced one"
SITUATION_NEW_PATH: Final = "Path of that library (its .enl file)"
SITUATION_WEB: Final = "The EndNote Web copy is right"
WIZARD_BEGIN: Final = "Continue"
WIZARD_STEP: Final = "Step {number} of {last}"
WIZARD_ON: Final = "Library: {name}"
WIZARD_IRREVERSIBLE: Final = "This step cannot be undone."
WIZARD_BACKUP: Final = "Make the proven backup"
WIZARD_LOSS_NONE_KNOWN: Final = ("endnoted has no Web export of this library to compare, so it cannot tell whether "
                                 "EndNote Web holds references this library lacks. To know first: save an export from EndNote Web into "
                                 "your Downloads folder while endnoted runs (it compares every new export), then "
                                 "reload this page.")
WIZARD_LOSS: Final = ("Steps 2-4 delete {references} on EndNote Web but NOT in {name}. {they} will be "
                      "gone from EndNote Web:")
WIZARD_NOT_THIS_LIBRARY: Final = ("The export “{export}” does not look like one of {name} ({trust}); it proves nothing about "
                                   "what the reset would delete. Export All My References from the EndNote Web "
                                   "account this library syncs with.")
WIZARD_NO_LOSS: Final = "The latest Web export holds nothing that this library lacks."
WIZARD_TYPE_NAME: Final = "Type the library's name ({name}) to go on"
WIZARD_NAME_WRONG: Final = "That is not the library's name."
WIZARD_NAME_OK: Final = "Go on"
WIZARD_DONE_ASK: Final = "I have done this"
WIZARD_CANNOT_SEE: Final = "endnoted cannot see this step; it records that you said it is done."
WIZARD_CHECK: Final = "I have done this: check"
WIZARD_LIVE: Final = "What endnoted sees now"
WIZARD_LIVE_WAIT: Final = "Looking…"
WIZARD_NOT_YET: Final = "Not yet: {detail}"
WIZARD_SEEN: Final = "Seen: {detail}"
WIZARD_UNSEEN_CONFIRM: Final = "endnoted cannot see this here. I have done it"
WIZARD_EMAIL: Final = "Your EndNote account e-mail (stays in this page, never stored or sent)"
WIZARD_EMAIL_RESULT: Final = "Enter exactly:"
WIZARD_APPEND: Final = "Append exactly:"
WIZARD_EXPORT: Final = "The Web export to compare"
WIZARD_EXPORT_FOUND: Final = "Newest export found: {path}"
WIZARD_EXPORT_NONE: Final = "No new export found yet in your Downloads folder; give its path."
WIZARD_DONE: Final = "Done. {name} and EndNote Web hold the same references again. endnoted keeps watching."
WIZARD_STOP: Final = "Stop this repair"
WIZARD_STOP_HINT: Final = "The run ends; its backup stays."
WIZARD_STOP_HINT_NO_BACKUP: Final = "The run ends; nothing has been changed yet."
WIZARD_STOPPED: Final = "The repair was stopped; its backup stays."
WIZARD_STOPPED_NO_BACKUP: Final = "The repair was stopped before any backup was made."
WIZARD_BUSY: Final = ("This repair is open in a terminal wizard right now. Finish or quit it there (type q), then "
                      "reload this page.")
WIZARD_HISTORY: Final = "Done so far"
HOW_SEEN: Final = {"seen": "seen", "asked": "you said so", "typed": "you typed the name",
                   "contradicted": "not yet", "refused": "refused"}

# errors
FORBIDDEN: Final = "Not allowed"
FORBIDDEN_BODY: Final = ("This page only opens from endnoted open on this computer. Run endnoted open again for a "
                         "fresh link.")
NOT_FOUND: Final = "Not found"
NOT_FOUND_BODY: Final = "endnoted knows no such page or library."
ERROR_TITLE: Final = "That did not work"
