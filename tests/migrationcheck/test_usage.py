"""Bad usage is one sentence and exit status 2; --json prints one document; every rule is documented."""

import json
import re

import pytest

from orb.migrationcheck.rules import RULES

from .conftest import ROOT

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["nosuchapp"], "Unknown app label 'nosuchapp' (or it has no migrations); the apps with migrations are:"),
        (["scenario", "--database", "nowhere"], "Unknown database alias 'nowhere'; the configured ones are: default."),
    ],
)
def test_bad_usage_is_one_sentence_and_exit_2(checks, args, sentence):
    result = checks.run("clean", "check_migrations", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert sentence in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_broken_check_file_is_one_sentence(checks):
    checks.check_file.write_text("[acknowledged\n")
    result = checks.run("clean", "check_migrations", "scenario", "--no-round-trip")
    assert result.returncode == 2 and "is not valid TOML" in result.stderr and "Traceback" not in result.stderr


def test_text_output_is_one_line_per_finding_and_a_summary(checks):
    result = checks.run("dropped", "check_migrations", "scenario", "--no-round-trip")
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines if line.startswith("ORB")] == ["ORB102"] * 3
    assert lines[-1].startswith("3 findings in 3 migrations of scenario; fix each, or acknowledge it")
    json.loads(checks.run("dropped", "check_migrations", "scenario", "--no-round-trip", "--json").stdout)


def test_every_rule_has_its_section_in_the_docs():
    text = (ROOT / "docs" / "MIGRATION_CHECKS.md").read_text()
    documented = set(re.findall(r"^### (ORB\d{3})\b", text, flags=re.MULTILINE))
    assert documented == set(RULES)
