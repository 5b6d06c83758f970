from pathlib import Path

import pytest

from carebridge.config import ConfigError, Settings


def test_defaults_match_the_documented_ones() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///var/carebridge.sqlite"
    assert settings.incoming_dir == Path("var/incoming")
    assert settings.archive_dir == Path("var/archive")
    assert settings.work_dir == Path("var/work")
    assert settings.scan_interval == 10.0


def test_environment_overrides_toml_which_overrides_defaults(tmp_path: Path) -> None:
    config = tmp_path / "carebridge.toml"
    config.write_text('[carebridge]\nscan_interval = 3\nincoming_dir = "/srv/in"\n')
    settings = Settings.from_env(
        {"CAREBRIDGE_CONFIG": str(config), "CAREBRIDGE_SCAN_INTERVAL": "7.5"}
    )
    assert settings.scan_interval == 7.5
    assert settings.incoming_dir == Path("/srv/in")


def test_bad_values_are_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scan_interval"):
        Settings.from_env({"CAREBRIDGE_SCAN_INTERVAL": "soon"})
    broken = tmp_path / "bad.toml"
    broken.write_text("scan_interval = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.from_env({"CAREBRIDGE_CONFIG": str(broken)})
    with pytest.raises(ConfigError, match="cannot read"):
        Settings.from_env({"CAREBRIDGE_CONFIG": str(tmp_path / "missing.toml")})


def test_an_unknown_key_in_the_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "carebridge.toml"
    config.write_text('[carebridge]\nscan_intervall = 3\n')
    with pytest.raises(ConfigError, match="unknown setting 'scan_intervall'; did you mean "
                                          "'scan_interval'"):
        Settings.from_env({"CAREBRIDGE_CONFIG": str(config)})
