"""The web's words: a count of one reads as one ("1 attached file", never "1 attached files")."""

from __future__ import annotations

import re

from endnoted.web import strings as t
from endnoted.web.views import _counts
from tests.probes.test_one_of_each import one_wrong

VERBS = {"is", "was", "has", "opens"}   # words after a placeholder that end in s and are not plural nouns


def test_no_template_puts_a_bare_number_before_a_plural_noun() -> None:
    """Counts come into templates as counted phrases (`t.count`): "{count} references" says "1 references"."""
    templates = {name: value for name, value in vars(t).items() if name.isupper() and isinstance(value, str)}
    bare = {name: found for name, value in templates.items()
            if (found := [m[0] for m in re.finditer(r"\{\w+\} ([a-z]+)", value) if m[1].endswith("s") and m[1] not in VERBS])}
    assert bare == {}


def test_a_library_with_one_of_each_reads_in_the_singular() -> None:
    one = _counts({"counts": {"references": 1, "trashed": 1, "attachments": 1, "groups": 1}})
    assert one == "1 reference, 1 in the trash, 1 attached file" and one_wrong(one) == []
    assert _counts({"counts": {"references": 2, "trashed": 0, "attachments": 3, "groups": 0}}) == \
        "2 references, 0 in the trash, 3 attached files"
    assert _counts({"counts": None}) == t.UNKNOWN_TIME


def test_messages_with_counts_agree_with_one_and_with_many() -> None:
    def loss(n: int) -> str:
        return t.WIZARD_LOSS.format(references=t.count(n, t.REFERENCES_THAT_ARE), they=t.one_or_many(n, t.THEY),
                                    name="Thesis")
    assert loss(2) == ("Steps 2-4 delete 2 references that are on EndNote Web but NOT in Thesis. They will be gone "
                       "from EndNote Web:")
    assert loss(1) == ("Steps 2-4 delete 1 reference that is on EndNote Web but NOT in Thesis. It will be gone "
                       "from EndNote Web:")
    for text in (loss(1), t.JOB_DONE.format(references=t.count(1, t.REFERENCES), path="/b/x.enlx"),
                 t.BACKUP_VERIFIED.format(path="/b/x.enlx", references=t.count(1, t.REFERENCES)),
                 t.CHART_DROP.format(references=t.count(1, t.REFERENCES)),
                 t.CHART_POINT.format(at="2026-12-02 18:51", references=t.count(1, t.REFERENCES), trashed=1,
                                      waiting=1)):
        assert one_wrong(text) == [], text
