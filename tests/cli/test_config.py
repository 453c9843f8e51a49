"""Settings: every key documented in .env.example, and bad values named in one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import Settings, load_settings
from bot.exceptions import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _env_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _env_keys(annotation, f"{prefix}{name.upper()}__")
        else:
            keys.add(f"{prefix}{name.upper()}")
    return keys


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    assert documented == _env_keys(Settings)


def test_every_env_example_key_has_an_explanation_above_it() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line) and not line.startswith("API__"):
            assert lines[index - 1].startswith("#"), f"{line} has no explanation"


def test_env_example_defaults_load_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for key in _env_keys(Settings):
        monkeypatch.delenv(key, raising=False)
    settings = load_settings()
    assert settings.bot_token is None
    assert settings.delivery.global_rate == 25


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("BOT_TOKEN", "not-a-token", "BOT_TOKEN"),
        ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL"),
        ("DELIVERY__GLOBAL_RATE", "fast", "DELIVERY__GLOBAL_RATE"),
        ("EDITOR_IDS", "12,abc", "EDITOR_IDS"),
        ("DISPLAY_TIMEZONE", "Mars/Olympus", "DISPLAY_TIMEZONE"),
        ("TELEGRAM_API_URL", "api.telegram.org", "TELEGRAM_API_URL"),
    ],
)
def test_a_malformed_setting_is_reported_by_its_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str, value: str, named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.key == named
    assert "\n" not in str(info.value)


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456:SECRET-TOKEN-VALUE")
    monkeypatch.setenv("API__CMS_TOKEN", "cms-secret")
    settings = load_settings()
    assert "SECRET-TOKEN-VALUE" not in repr(settings) and "cms-secret" not in repr(settings)
    assert settings.bot_token is not None and settings.bot_token.get_secret_value().endswith("VALUE")
