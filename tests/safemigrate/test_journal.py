from orb.safemigrate.journal import Journal, recorded_checksums


def test_append_and_read_back(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"id": "a", "outcome": "applied", "checksums": {"x.0001": "1"}})
    journal.append({"id": "b", "outcome": "failed"})
    assert [r["id"] for r in journal.records()] == ["a", "b"]
    assert recorded_checksums(journal.records()) == {"x.0001": "1"}


def test_a_torn_line_is_skipped_and_reported_and_the_next_record_starts_on_a_new_line(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.append({"id": "a", "outcome": "applied"})
    with open(path, "a") as handle:
        handle.write('{"id": "b", "outc')  # a writer killed mid-line
    journal.append({"id": "c", "outcome": "applied"})
    read = journal.read()
    assert [r["id"] for r in read.records] == ["a", "c"]
    assert len(read.problems) == 1 and "line 2" in read.problems[0]


def test_missing_journal_reads_empty(tmp_path):
    assert Journal(tmp_path / "none.jsonl").read().records == []


def test_journal_is_private_and_never_followed_through_a_symlink(tmp_path):
    import os
    import stat

    import pytest

    journal = Journal(tmp_path / "state" / "j.jsonl")
    journal.append({"id": "a", "outcome": "applied"})
    assert stat.S_IMODE(os.stat(tmp_path / "state" / "j.jsonl").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    os.symlink(victim, tmp_path / "linked.jsonl")
    linked = Journal(tmp_path / "linked.jsonl")
    with pytest.raises(OSError):
        linked.append({"id": "b", "outcome": "applied"})
    assert victim.read_text() == "keep me"
    read = linked.read()
    assert read.records == [] and "symbolic link" in read.problems[0]


def test_an_existing_journal_is_made_private_on_append(tmp_path):
    import os
    import stat

    path = tmp_path / "j.jsonl"
    path.write_text("")
    os.chmod(path, 0o644)
    Journal(path).append({"id": "a", "outcome": "applied"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
