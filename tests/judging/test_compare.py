"""Desktop against Web exports: the real IEBH pair, variants made from it, and hostile or odd exports."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from endnoted.demo.builder import LibrarySpec, RefSpec, build, days_ago, synthetic_refs
from endnoted.judging.compare import compare
from endnoted.judging.verdict import State, proposes_reset
from endnoted.reading.exports import read_export
from endnoted.reading.library import locate
from endnoted.reading.snapshot import take
from tests.conftest import run, tree_hash


@pytest.fixture
def pair(realworld: Path) -> Path:
    """The real IEBH blue-light library with its own XML and RIS exports."""
    return realworld / "IEBH-RefLib"


@pytest.fixture
def blue_light(tmp_path: Path, pair: Path) -> Path:
    """The real blue-light library, unpacked from its .enlx into a Name.enl + Name.Data copy."""
    data = tmp_path / "blue-light.Data"
    with zipfile.ZipFile(pair / "blue-light.enlx") as archive:
        archive.extractall(data)
    (tmp_path / "blue-light.enl").write_bytes(b"Eds1")
    return tmp_path / "blue-light.enl"


def xml_records(text: str) -> tuple[str, list[str], str]:
    start = text.index("<record>")
    end = text.rindex("</record>") + len("</record>")
    return text[:start], re.findall(r"<record>.*?</record>", text[start:end], flags=re.DOTALL), text[end:]


def variant(tmp_path: Path, name: str, records: list[str], head: str, tail: str) -> Path:
    path = tmp_path / name
    path.write_text(head + "".join(records) + tail, encoding="utf-8")
    return path


@pytest.mark.parametrize("export", ["blue-light.xml", "blue-light.ris"])
def test_the_real_library_matches_its_own_exports(pair: Path, blue_light: Path, export: str) -> None:
    before = tree_hash(blue_light.parent)
    result = run("compare", "--json", str(blue_light), str(pair / export))
    assert tree_hash(blue_light.parent) == before
    data = json.loads(result.stdout)
    assert (data["desktop"], data["web"], data["matched"]) == (102, 102, 102)
    assert data["missing_on_web"] == [] and data["missing_on_desktop"] == []
    assert data["format"] == ("endnote-xml" if export.endswith("xml") else "ris")
    assert result.exit_code == 0


def test_dropped_and_duplicated_web_records_are_counted_exactly(pair: Path, blue_light: Path, tmp_path: Path) -> None:
    head, records, tail = xml_records((pair / "blue-light.xml").read_text(encoding="utf-8"))
    changed = records[3:] + [records[10], records[10], records[20]]  # 3 dropped; 3 extra copies of 2 refs
    result = run("compare", "--json", str(blue_light), str(variant(tmp_path, "web.xml", changed, head, tail)))
    data = json.loads(result.stdout)
    assert (len(data["missing_on_web"]), len(data["missing_on_desktop"]), len(data["duplicates_web"])) == (3, 0, 3)
    assert data["matched"] == 99 and data["web"] == 102
    assert result.exit_code == 4


def test_only_duplicates_exit_3(pair: Path, blue_light: Path, tmp_path: Path) -> None:
    head, records, tail = xml_records((pair / "blue-light.xml").read_text(encoding="utf-8"))
    result = run("compare", "--json", str(blue_light), str(variant(tmp_path, "w.xml", records + records[:2], head, tail)))
    assert result.exit_code == 3
    assert len(json.loads(result.stdout)["duplicates_web"]) == 2


def test_recased_respaced_titles_and_prefixed_dois_still_match(pair: Path, blue_light: Path, tmp_path: Path) -> None:
    text = (pair / "blue-light.xml").read_text(encoding="utf-8")

    def mangle_title(match: re.Match[str]) -> str:
        return match.group(1) + "  " + match.group(2).upper().replace(" ", "   ") + " . " + match.group(3)

    text = re.sub(r"(<title><style[^>]*>)([^<]*)(</style></title>)", mangle_title, text)
    text = re.sub(r"(<electronic-resource-num><style[^>]*>)(10\.)", r"\1 https://doi.org/\2", text)
    result = run("compare", "--json", str(blue_light), str(variant(tmp_path, "m.xml", [text], "", "")))
    data = json.loads(result.stdout)
    assert (data["matched"], data["missing_on_web"], data["missing_on_desktop"]) == (102, [], [])


def test_a_record_only_on_the_web_is_missing_on_desktop(pair: Path, blue_light: Path, tmp_path: Path) -> None:
    head, records, tail = xml_records((pair / "blue-light.xml").read_text(encoding="utf-8"))
    extra = re.sub(r"(<title><style[^>]*>)[^<]*", r"\1A paper that only the Web holds", records[0])
    extra = re.sub(r"<electronic-resource-num>.*?</electronic-resource-num>", "", extra)
    data = json.loads(run("compare", "--json", str(blue_light),
                          str(variant(tmp_path, "w.xml", [*records, extra], head, tail))).stdout)
    assert [ref["title"] for ref in data["missing_on_desktop"]] == ["A paper that only the Web holds"]


def test_the_ris_export_is_read_with_its_bom_and_crlf(pair: Path) -> None:
    kind, records = read_export(pair / "blue-light.ris")
    items = list(records)
    assert kind == "ris" and len(items) == 102
    assert items[0].number == "895" and items[0].doi == "10.4103/abr.abr_99_17"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_exports_in_other_encodings_are_read(pair: Path, blue_light: Path, tmp_path: Path, encoding: str) -> None:
    text = (pair / "blue-light.ris").read_text(encoding="utf-8-sig")
    if encoding == "cp1252":
        text = text.encode("cp1252", errors="replace").decode("cp1252")
    path = tmp_path / "export.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    data = json.loads(run("compare", "--json", str(blue_light), str(path)).stdout)
    assert data["web"] == 102 and data["matched"] >= 100


def test_a_tab_delimited_export_is_read(pair: Path, blue_light: Path, tmp_path: Path) -> None:
    _, records = read_export(pair / "blue-light.xml")
    lines = ["Reference Type\tAuthor\tYear\tTitle\tDOI\tRecord Number"]
    lines += [f"Journal Article\t{r.first_author}; Other, A.\t{r.year}\t{r.title}\t{r.doi}\t{r.number}" for r in records]
    path = tmp_path / "export.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = json.loads(run("compare", "--json", str(blue_light), str(path)).stdout)
    assert (data["format"], data["matched"]) == ("tab", 102)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><records><record><titles><title>&lol3;</title></titles></record></records></xml>"""
EXTERNAL = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<xml><records><record><titles><title>&e;</title></titles></record></records></xml>"""


@pytest.mark.parametrize(("content", "words"), [
    (b"", "is empty"),
    (b"\xef\xbb\xbf\r\n  \r\n", "is empty"),
    (b"Just some notes about papers\nnothing else\n", "not an export"),
    (BILLION_LAUGHS.encode(), "refused"),
    (EXTERNAL.encode(), "refused"),
    (b'<?xml version="1.0"?><xml><records><record><titles><title>Cut here', "not well-formed"),
    (b'<?xml version="1.0"?><xml><records><record><rec-number>1</rec-number></record><record></xml>',
     "after record 1"),
])
def test_bad_exports_get_one_clear_line(blue_light: Path, tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad export.xml"
    path.write_bytes(content)
    before = tree_hash(blue_light.parent)
    result = run("compare", str(blue_light), str(path))
    assert tree_hash(blue_light.parent) == before
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and words in result.stderr and "bad export.xml" in result.stderr


def test_a_missing_export_is_a_usage_error(blue_light: Path, tmp_path: Path) -> None:
    assert run("compare", str(blue_light), str(tmp_path / "nope.xml")).exit_code == 2
    assert run("check", "--export", str(tmp_path / "nope.xml"), str(blue_light)).exit_code == 2


def test_a_gigantic_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    import resource
    enl = build(tmp_path / "lib", LibrarySpec(refs=synthetic_refs(10), last_sync=days_ago(0.1)))
    path = tmp_path / "big.xml"
    record = ("<record><rec-number>{n}</rec-number><titles><title><style>Title number {n} "
              + "padding " * 200 + "</style></title></titles></record>")
    with path.open("w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8" ?><xml><records>')
        for n in range(60000):
            out.write(record.format(n=n))
        out.write("</records></xml>")
    assert path.stat().st_size > 90_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = compare(take(locate(enl)[0]), path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.web == 60000
    assert grown_mb < 120, f"parsing a {path.stat().st_size >> 20} MB export grew RSS by {grown_mb:.0f} MB"


def test_check_with_an_export_folds_unexplained_differences_into_diverged(tmp_path: Path) -> None:
    last = days_ago(0.5)
    refs = synthetic_refs(20, seed=3)
    refs.append(RefSpec("A brand new paper added after the sync", added=int(days_ago(0.1).timestamp())))
    refs[-1].synced = False
    enl = build(tmp_path / "lib", LibrarySpec(refs=refs, last_sync=last))
    lines = ["Title\tAuthor\tYear\tDOI"] + [f"{r.title}\t{r.authors[0]}\t{r.year}\t{r.doi}" for r in refs[:-1]]
    export = tmp_path / "web.txt"
    export.write_text("\n".join(lines), encoding="utf-8")
    # The only difference is the new paper: the ledger explains it, so the library is just pending.
    data = json.loads(run("check", "--json", "--export", str(export), str(enl)).stdout)["libraries"][0]
    assert data["verdict"] == "pending"
    assert "compare.explained-by-pending-sync" in {f["code"] for f in data["findings"]}
    # Two references dropped from the Web that the ledger says were sent: diverged, both numbers given.
    export.write_text("\n".join(lines[:1] + lines[3:]) + "\nOnly on the web\tNobody, N.\t2001\t\n", encoding="utf-8")
    result = run("check", "--json", "--export", str(export), str(enl))
    data = json.loads(result.stdout)["libraries"][0]
    assert data["verdict"] == "diverged" and result.exit_code == 4
    assert "2 references are missing on Web and 1 missing on Desktop" in data["reason"]
    # Both ways: a reset would delete the one only on the Web, so none is proposed (no Repair… into
    # it), and one action says why neither way out keeps everything and what to do first.
    action = data["next_action"]
    assert "endnoted reset" not in action and "Do not reset" not in action, action
    assert action.startswith("Each copy holds references the other lacks, so neither a reset (it would delete the "
                             "1 reference only on EndNote Web) nor a new library synced from EndNote Web (it would "
                             "lack the 2 references only on Desktop) keeps everything."), action
    assert action.count("Each copy holds") == 1
    assert not proposes_reset(State.DIVERGED, action)
    messages = {f["code"]: f["message"] for f in data["findings"]}
    assert "do not reset yet" in messages["compare.missing-on-web"] and "endnoted reset" not in messages["compare.missing-on-web"]
    # One way only (the Web lacks what the Desktop holds): the reset is what the evidence calls for.
    export.write_text("\n".join(lines[:1] + lines[3:]) + "\n", encoding="utf-8")
    data = json.loads(run("check", "--json", "--export", str(export), str(enl)).stdout)["libraries"][0]
    assert data["verdict"] == "diverged" and proposes_reset(State.DIVERGED, data["next_action"])
    assert "Each copy holds" not in data["next_action"]
