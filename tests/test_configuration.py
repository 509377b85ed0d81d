"""The example env file is the configuration reference (product.md §5): it
must list every variable the settings read, and nothing they don't."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_variable_the_settings_read() -> None:
    settings = (ROOT / "signup_site" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', settings))
    read |= set(re.findall(r'os\.environ(?:\.get)?[\[(]\s*"([A-Z][A-Z0-9_]+)"', settings))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert len(read) > 40
    assert sorted(read - listed) == [], "variables missing from .env.example"
    assert sorted(listed - read) == [], "variables in .env.example that nothing reads"
