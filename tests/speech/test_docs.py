"""docs/speech.md documents every option of the speech commands, so that the two cannot drift apart."""

from pathlib import Path

import pytest
from django.core.management import load_command_class

DOC = Path(__file__).resolve().parents[2] / "docs" / "speech.md"
DJANGO_OPTIONS = {
    "--help",
    "--version",
    "--verbosity",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
}


@pytest.mark.parametrize("command", ["assess", "transcribe", "build_corpus", "say"])
def test_every_option_of_a_speech_command_is_documented(command):
    parser = load_command_class("speech", command).create_parser("manage.py", command)
    options = {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option not in DJANGO_OPTIONS
    }
    text = DOC.read_text()
    assert f"manage.py {command}" in text
    undocumented = sorted(option for option in options if option not in text)
    assert not undocumented, f"docs/speech.md does not mention {command}'s {undocumented}"
