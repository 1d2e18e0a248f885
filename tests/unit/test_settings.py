import pytest

from chalicelib import settings
from chalicelib.settings import SettingsError, load_settings


def full_environment(**overrides: str) -> dict[str, str]:
    env = {name: f"value-of-{name}" for name in settings._REQUIRED.values()}
    env.update(overrides)
    return env


def test_settings_load_from_environment() -> None:
    loaded = load_settings(full_environment(AWS_REGION="us-west-1"))
    assert loaded.reads_table == "value-of-PLATEKEEPER_READS_TABLE"
    assert loaded.region == "us-west-1"
    assert loaded.retention_days == 365


def test_missing_variables_are_all_named() -> None:
    env = full_environment()
    del env[settings.READS_TABLE], env[settings.RAW_BUCKET]
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert settings.READS_TABLE in str(error.value)
    assert settings.RAW_BUCKET in str(error.value)


@pytest.mark.parametrize("days", ["364", "30", "0"])
def test_retention_under_a_year_is_refused(days: str) -> None:
    with pytest.raises(SettingsError, match=r"428\.5"):
        load_settings(full_environment(PLATEKEEPER_RETENTION_DAYS=days))


def test_longer_retention_is_allowed() -> None:
    assert load_settings(full_environment(PLATEKEEPER_RETENTION_DAYS="730")).retention_days == 730
