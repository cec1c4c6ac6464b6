"""Hostile and broken input: no student's files change another's row, bad bytes fail only their own entry, and
what one submission makes the grader read, store and print is bounded. Each test first shows the attack is real
(what the input would have done), then that it failed."""

import csv
import json
import os
import re
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import REFERENCE, reference_source
from grading_helpers import tight_course
from test_submission import NOTEBOOK_BYTES, _zip

from autograder.bulk import folder_names, grade_batch, submission_key
from autograder.graded import MAX_CHECK_TEXT, MAX_SUBMISSION_TEXT, GradedSubmission, bounded
from autograder.journal import JOURNAL_NAME
from autograder.labkit import plain
from autograder.labkit.framework import Result
from autograder.run import isolated
from autograder.submission import load_submissions, load_zip

COURSE = tight_course()
ASSIGNMENT = COURSE.assignment("initialization")
STUB = b"def initialize_he(layer_dims, rng=None):\n    raise NotImplementedError\n"
BIG_KEY = reference_source() + '''
_reference_zeros = initialize_zeros
def initialize_zeros(layer_dims):
    params = _reference_zeros(layer_dims)
    params["K" * 900_000] = 0.0  # every check that names the keys would repeat 0.9 MB (the channel takes 1 MB of JSON)
    return params
'''


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {r["student_id"]: r for r in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}


# 1. One student's files never change another student's row.

def test_a_moodle_name_imitating_the_scheme_gets_no_other_students_id(tmp_path: Path) -> None:
    crafted = "Alice Honest_101_assignsubmission_file_ x_103_assignsubmission_file_"
    assert re.match(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_", crafted)["id"] == "101"  # the old parse
    archive = _zip(tmp_path / "moodle.zip", {
        "Alice Honest_101_assignsubmission_file_/initialization.py": reference_source().encode(),
        f"{crafted}/initialization.py": STUB,
    })
    rows = {s.student_id: s for s in load_zip(archive, ASSIGNMENT)}
    assert set(rows) == {"Alice Honest_101", "Alice Honest_101_assignsubmission_file_ x_103"}
    victim = rows["Alice Honest_101"]
    assert victim.error is None and victim.source == reference_source()


def test_canvas_ids_come_from_the_fixed_part_of_the_name(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "canvas.zip", {
        "mallory_102_777_x_103_5_initialization.py": STUB,  # Canvas adds its part; the student chose the rest
        "victim_103_555_initialization.py": reference_source().encode(),
        "doe_LATE_104_556_initialization.py": reference_source().encode(),
    })
    assert [(s.student_id, s.error is None) for s in load_zip(archive, ASSIGNMENT)] == [
        ("doe_104", True), ("mallory_102", True), ("victim_103", True)]


def test_metadata_in_a_students_folder_is_just_their_file(tmp_path: Path) -> None:
    crafted = b"submission_1:\n  :submitters:\n  - :sid: 'victim'\n"
    entries = {
        "mallory/submission_metadata.yml": crafted,
        "mallory/submission_1/initialization.py": STUB,
        "victim/initialization.py": reference_source().encode(),
        "zed/submission_metadata.yml": b"",  # empty: once made every other student vanish
        "zed/initialization.py": reference_source().encode(),
    }
    rows = {s.student_id: s for s in load_zip(_zip(tmp_path / "plain.zip", entries), ASSIGNMENT)}
    assert set(rows) == {"mallory", "victim", "zed"}
    assert rows["victim"].error is None and rows["victim"].source == reference_source()
    assert rows["mallory"].source == STUB.decode()
    # Gradescope's own export root is still honoured, exactly there.
    export = _zip(tmp_path / "gs.zip", {f"assignment_7_export/{n}": d for n, d in
                                        [("submission_metadata.yml", crafted), ("submission_1/a.py", STUB)]})
    assert [s.student_id for s in load_zip(export, ASSIGNMENT)] == ["victim"]


def test_a_duplicate_id_is_a_conflict_in_both_rows(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "canvas.zip", {"ann_1_10_initialization.py": reference_source().encode(),
                                             "ann_1_11_initialization.py": STUB,
                                             "bob_2_12_initialization.py": reference_source().encode()})
    rows = load_submissions([archive], course=COURSE)
    ann = [s for s in rows if s.student_id == "ann_1"]
    assert len(ann) == 2 and all("conflict" in s.error and s.source == "" for s in ann)
    assert "ann_1_11" in ann[0].error and "ann_1_10" in ann[1].error  # each names the other
    assert next(s for s in rows if s.student_id == "bob_2").error is None
    graded = grade_batch([archive], tmp_path / "out", COURSE, "initialization", jobs=1)
    assert [g.error is not None for g in graded] == [True, True, False]
    assert len(list((tmp_path / "out" / "submissions").iterdir())) == 3  # two rows, two folders: none overwritten


# 2. Bad bytes in one entry fail only that entry.

def test_deep_json_a_corrupt_entry_and_a_bad_utf8_flag_fail_alone(tmp_path: Path) -> None:
    deep = b'{"cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(RecursionError):
        json.loads(deep)
    archive = _zip(tmp_path / "class.zip", {"deep.ipynb": deep, "ok.ipynb": NOTEBOOK_BYTES,
                                            "zcorrupt.py": reference_source().encode()})
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo("zcorrupt.py")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # the entry's deflate stream
    raw = bytearray(archive.read_bytes())
    raw[start + 100: start + 140] = bytes(40)
    archive.write_bytes(bytes(raw))
    rows = {s.student_id: s for s in load_zip(archive, ASSIGNMENT)}
    assert "nested too deeply" in rows["deep"].error and "cannot be unpacked" in rows["zcorrupt"].error
    assert rows["ok"].error is None
    flagged = _zip(tmp_path / "flagged.zip", {"caf\u00e9.py": reference_source().encode()})
    flagged.write_bytes(flagged.read_bytes().replace("caf\u00e9".encode(), b"caf\xff\xfe"))
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(flagged)
    [row] = load_zip(flagged, ASSIGNMENT)
    assert "archive refused or unreadable" in row.error and row.student_id == "flagged"


def test_links_and_pipes_are_refused_never_graded(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "mallory.py").symlink_to(REFERENCE)
    assert (folder / "mallory.py").read_text() == REFERENCE.read_text()  # the link reads the reference
    os.mkfifo(folder / "pipe.py")  # opening it for reading would wait for a writer for ever
    (folder / "honest.py").write_text(reference_source())
    rows = {s.student_id: s for s in load_submissions([folder], course=COURSE)}
    assert rows["mallory"].source == "" and "refused: a symbolic link" in rows["mallory"].error
    assert rows["pipe"].source == "" and "refused: not a regular file" in rows["pipe"].error
    assert rows["honest"].error is None
    [direct] = load_submissions([folder / "mallory.py"], course=COURSE)
    assert direct.source == "" and "symbolic link" in direct.error


def test_undecodable_and_overlong_names_are_graded_and_reported(tmp_path: Path) -> None:
    undecodable = tmp_path / os.fsdecode(b"caf\xe9.py")
    undecodable.write_text(reference_source())
    with pytest.raises(UnicodeEncodeError):
        json.dumps({"path": str(undecodable)}, ensure_ascii=False).encode("utf-8")  # what the journal did
    long_name = "x" * 300 + ".py"  # too long for any file system: a report folder named after it is impossible
    archive = _zip(tmp_path / "long.zip", {long_name: reference_source().encode()})
    graded = grade_batch([undecodable, archive], tmp_path / "out", COURSE, "initialization", jobs=2)
    assert [g.error for g in graded] == [None, None] and all(g.score == g.max_score > 0 for g in graded)
    assert graded[0].student_id == "caf\\udce9"
    assert len(graded[1].student_id) <= 120 and graded[1].student_id.startswith("xxxx")
    folders = sorted(p.name for p in (tmp_path / "out" / "submissions").iterdir())
    assert all(len(name) <= 100 for name in folders) and len(folders) == 2
    assert set(_rows(tmp_path / "out")) == {g.student_id for g in graded}
    assert len((tmp_path / "out" / JOURNAL_NAME).read_text(encoding="ascii").splitlines()) == 2


def test_overlong_ids_stay_distinct_folders() -> None:
    from autograder.submission import Submission

    rows = [Submission("y" * 500 + tail, Path(tail), "python", "x") for tail in ("a", "b")]
    first, second = folder_names([(s.student_id, submission_key(s)) for s in rows])
    assert first != second and len(first) <= 100 and len(second) <= 100


# 3. Bounded: what one submission makes the grader store, print and read.

def test_a_grade_is_capped_per_check_and_per_submission() -> None:
    huge = "k" * (100 * MAX_CHECK_TEXT)
    results = [Result(f"f.c{i}", "f", "t", "public", "failed", 0.0, huge,
                      figure={"kind": "per_layer", "series": {"yours": [1.0] * 100_000}}) for i in range(60)]
    graded = GradedSubmission("s\udce9", "p", results, {}, {}, 1.0, "bubblewrap", error=huge, output=huge * 10)
    capped = bounded(graded)
    assert all(len(r.feedback) <= MAX_CHECK_TEXT and "more characters]" in r.feedback for r in capped.results)
    assert all(r.figure is None and "figure left out" in r.feedback for r in capped.results)
    assert sum(len(r.feedback) for r in capped.results) <= MAX_SUBMISSION_TEXT + 60 * 250
    assert len(json.dumps(capped.to_dict())) < 2 * 2**20 < len(json.dumps(graded.to_dict())) // 10
    assert capped.student_id == "s\\udce9" and "more characters]" in capped.error
    assert bounded(capped) == capped


def test_a_900_kb_dictionary_key_makes_kilobytes_not_megabytes(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.py").write_text(BIG_KEY)
    (tmp_path / "in" / "fine.py").write_text(reference_source())
    out = tmp_path / "out"
    graded = {g.student_id: g for g in grade_batch([tmp_path / "in"], out, COURSE, "initialization", jobs=2)}
    assert graded["fine"].score == graded["fine"].max_score > graded["big"].score
    assert (out / JOURNAL_NAME).stat().st_size < 2 * 2**20
    for name in ("results.json", "feedback.md", "feedback.html"):
        text = (out / "submissions" / "big" / name).read_text(encoding="utf-8")
        assert len(text) < 2 * 2**20 and "more characters]" in text, name  # it was cut, and says so


def _channel_with(data: bytes, limit: int, monkeypatch: pytest.MonkeyPatch,
                  line_limit: int | None = None) -> tuple[isolated._Channel, int]:
    """A _Channel over a real pipe that a thread fills with `data`, and the process whose end it watches; `limit`
    bounds a message, `line_limit` (default: the same) its first line."""
    monkeypatch.setattr(isolated, "MAX_MESSAGE_BYTES", limit)
    monkeypatch.setattr(isolated, "MAX_LINE_BYTES", line_limit or limit)
    read_fd, write_fd = os.pipe()

    def write() -> None:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view[: 2**16]):]
        except BrokenPipeError:
            pass
        finally:
            os.close(write_fd)

    threading.Thread(target=write, daemon=True).start()
    pidfd = os.pidfd_open(os.getpid())  # this process: it never ends while the test reads
    return isolated._Channel(read_fd, pidfd), pidfd


@pytest.mark.parametrize("data", [b"x" * (100 * 64 * 1024) + b"\n", b"%d {}\n" % (100 * 64 * 1024) + bytes(64 * 1024)],
                         ids=["a first line 100 times the limit", "a message announcing 100 times the limit"])
def test_the_channel_refuses_a_message_100_times_its_limit(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 64 * 1024
    channel, pidfd = _channel_with(data, limit, monkeypatch)
    try:
        with pytest.raises(isolated.ChildGone, match="more than"):
            channel.read_message(30.0)
        assert len(channel.buffer) <= limit + 2**20  # it stopped reading at the limit, plus one read
    finally:
        os.close(channel.fd)
        os.close(pidfd)


def test_the_channel_refuses_a_first_line_over_its_own_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in review: 8 MB of JSON such as [[],[],...] decodes into ~170 MB of Python objects; the arrays, which
    # need the room, travel after the line.
    nested = b"0 [" + b"[]," * (100 * 1024) + b"[]]\n"
    channel, pidfd = _channel_with(nested, 8 * 2**20, monkeypatch, line_limit=64 * 1024)
    try:
        with pytest.raises(isolated.ChildGone, match="more than"):
            channel.read_message(30.0)
    finally:
        os.close(channel.fd)
        os.close(pidfd)


def test_the_channel_reassembles_messages_split_over_many_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    values = [{"i": i, "text": "\n" * i, "array": np.full((i, 997), float(i))} for i in range(1, 60)]
    channel, pidfd = _channel_with(b"".join(plain.dumps(v) for v in values), 8 * 2**20, monkeypatch)
    try:
        back = [plain.loads(channel.read_message(30.0)) for _ in values]
        assert [plain.dumps(v) for v in back] == [plain.dumps(v) for v in values]
    finally:
        os.close(channel.fd)
        os.close(pidfd)
