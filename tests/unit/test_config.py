import dataclasses
from pathlib import Path

import pytest

from carebridge.config import ConfigError, Settings


def test_defaults_match_the_documented_ones() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///var/carebridge.sqlite"
    assert settings.importer.incoming_dir == Path("var/incoming")
    assert settings.importer.archive_dir == Path("var/archive")
    assert settings.importer.work_dir == Path("var/work")
    assert settings.importer.scan_interval == 10.0


def test_environment_overrides_toml_which_overrides_defaults(tmp_path: Path) -> None:
    config = tmp_path / "carebridge.toml"
    config.write_text('[carebridge]\nscan_interval = 3\nincoming_dir = "/srv/in"\n')
    settings = Settings.from_env(
        {"CAREBRIDGE_CONFIG": str(config), "CAREBRIDGE_SCAN_INTERVAL": "7.5"}
    )
    assert settings.importer.scan_interval == 7.5
    assert settings.importer.incoming_dir == Path("/srv/in")


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


def test_settings_come_in_frozen_groups_with_flat_outside_names(tmp_path: Path) -> None:
    config = tmp_path / "carebridge.toml"
    config.write_text('[carebridge]\nsmtp_url = "smtp://127.0.0.1:25?from=a@x&to=b@x"\n'
                      '[carebridge.hl7]\nmax_segments = 50\n'
                      '[carebridge.limits]\nmax_entry_bytes = 1024\n')
    settings = Settings.from_env({"CAREBRIDGE_CONFIG": str(config),
                                  "CAREBRIDGE_LOS_FACTOR": "2.5"})
    assert settings.hl7.max_segments == 50 and settings.limits.max_entry_bytes == 1024
    assert settings.los.factor == 2.5 and settings.smtp.url.startswith("smtp://")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.hl7.max_segments = 1  # type: ignore[misc]  # the point: it is frozen
    # The outside names reproduce the same settings (what a child process is given).
    environ = {"CAREBRIDGE_" + name.upper(): str(value)
               for name, value in settings.outside().items()}
    assert Settings.from_env(environ) == settings
    assert settings.replace(hl7_max_segments=7).hl7 == dataclasses.replace(settings.hl7,
                                                                           max_segments=7)


def test_an_unknown_group_table_is_named(tmp_path: Path) -> None:
    config = tmp_path / "carebridge.toml"
    config.write_text("[carebridge.hl8]\nmax_segments = 50\n")
    with pytest.raises(ConfigError, match=r"unknown table \[hl8\]"):
        Settings.from_env({"CAREBRIDGE_CONFIG": str(config)})
    config.write_text("[carebridge.hl7]\nmax_segment = 50\n")
    with pytest.raises(ConfigError, match="'hl7_max_segment'; did you mean 'hl7_max_segments'"):
        Settings.from_env({"CAREBRIDGE_CONFIG": str(config)})
