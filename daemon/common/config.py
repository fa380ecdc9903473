"""The user's settings: a small TOML file read into a frozen dataclass, every problem reported at once."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from endnoted.common import paths
from endnoted.common.errors import ConfigError
from endnoted.common.files import read_regular

# A config is a few hundred bytes; anything past this is not one (ENDNOTED_CONFIG=/dev/zero, a log named by mistake).
MAX_CONFIG_BYTES = 256 * 1024


@dataclass(frozen=True)
class Config:
    """Settings with their defaults; `source` is the file they came from, if any."""

    libraries: tuple[Path, ...] = ()
    stale_after_hours: float = 24.0
    export_folders: tuple[Path, ...] = field(default_factory=lambda: tuple(paths.default_export_folders()))
    scan_roots: tuple[Path, ...] = field(default_factory=lambda: tuple(paths.default_scan_roots()))
    scan_depth: int = 3
    backups_dir: Path = field(default_factory=paths.default_backups_dir)
    metrics_file: Path | None = None
    full_pass_minutes: float = 15.0
    notify_cooldown_minutes: float = 360.0
    history_days: float = 365.0
    quiet_seconds: float = 2.0
    max_wait_seconds: float = 30.0
    poll_seconds: float = 10.0
    notifications: bool = True
    repair: str = "page"                # the Repair… button: "page" (endnoted open) or "terminal" (endnoted reset)
    source: Path | None = None
    from_file: frozenset[str] = frozenset()   # the settings the file set (for `endnoted config`)

    @property
    def stale_after_seconds(self) -> float:
        return self.stale_after_hours * 3600.0


_NUMBERS = {
    "stale_after_hours": (0.0, 24.0 * 365),
    "full_pass_minutes": (0.1, 24.0 * 60),
    "notify_cooldown_minutes": (0.0, 24.0 * 60 * 30),
    "history_days": (1.0, 3650.0),
    "quiet_seconds": (0.05, 600.0),
    "max_wait_seconds": (0.1, 3600.0),
    "poll_seconds": (0.5, 3600.0),
}
_PATH_LISTS = ("libraries", "export_folders", "scan_roots")
_PATHS = ("backups_dir", "metrics_file")
_KNOWN = set(_NUMBERS) | set(_PATH_LISTS) | set(_PATHS) | {"scan_depth", "notifications", "repair"}
REPAIR_MODES = ("page", "terminal")


def _expand(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def load(path: Path | None = None) -> Config:
    """Given a config path (default: the platform's), return the Config; raise ConfigError listing every problem.

    A missing file is not an error: the defaults apply.
    """
    path = path or paths.config_file()
    if not path.exists():
        return Config()
    try:
        raw: dict[str, Any] = tomllib.loads(
            read_regular(path, limit=MAX_CONFIG_BYTES, what="config file").decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from error
    problems: list[str] = []
    values: dict[str, Any] = {}
    base = path.parent
    for key in sorted(set(raw) - _KNOWN):
        problems.append(f"unknown setting {key!r}")
    for key, (low, high) in _NUMBERS.items():
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                problems.append(f"{key} must be a number from {low:g} to {high:g}, not {value!r}")
            else:
                values[key] = float(value)
    for key in _PATH_LISTS:
        if key in raw:
            value = raw[key]
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                problems.append(f"{key} must be a list of paths (strings)")
            else:
                values[key] = tuple(_expand(item, base) for item in value)
    for key in _PATHS:
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key]:
                problems.append(f"{key} must be a path (a string)")
            else:
                values[key] = _expand(raw[key], base)
    if "scan_depth" in raw:
        if isinstance(raw["scan_depth"], bool) or not isinstance(raw["scan_depth"], int) or not 0 <= raw["scan_depth"] <= 8:
            problems.append("scan_depth must be a whole number from 0 to 8")
        else:
            values["scan_depth"] = raw["scan_depth"]
    if "notifications" in raw:
        if not isinstance(raw["notifications"], bool):
            problems.append("notifications must be true or false")
        else:
            values["notifications"] = raw["notifications"]
    if "repair" in raw:
        if raw["repair"] not in REPAIR_MODES:
            problems.append(f"repair must be one of {', '.join(map(repr, REPAIR_MODES))}, not {raw['repair']!r}")
        else:
            values["repair"] = raw["repair"]
    if problems:
        raise ConfigError(f"config file {path}: " + "; ".join(problems))
    return Config(source=path, from_file=frozenset(values), **values)


# The environment variables that move endnoted's folders, in the order `paths` consults them
# (a test checks each against `paths`). Settings with a folder default follow their folder.
FOLDER_VARIABLES: dict[str, tuple[str, ...]] = {
    "config_file": ("ENDNOTED_CONFIG",),
    "state_dir": ("ENDNOTED_STATE_DIR", "STATE_DIRECTORY"),
    "data_dir": ("ENDNOTED_DATA_DIR",),
    "log_dir": ("ENDNOTED_LOG_DIR", "LOGS_DIRECTORY"),
}
_DEFAULT_FOLLOWS = {"backups_dir": "data_dir"}


@dataclass(frozen=True)
class Origin:
    """One value in effect and where it came from: "default", "file" or "environment" (with the variable)."""

    name: str
    value: Any
    source: str
    variable: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "from": self.source, "variable": self.variable}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _from_environment(folder: str) -> str | None:
    return next((name for name in FOLDER_VARIABLES[folder] if os.environ.get(name)), None)


def folders_in_effect() -> list[Origin]:
    """Given the environment, return endnoted's folders (and config file) and what chose each."""
    found = {"config_file": paths.config_file(), "state_dir": paths.state_dir(), "data_dir": paths.data_dir(),
             "log_dir": paths.log_dir()}
    result = []
    for name, value in found.items():
        variable = _from_environment(name)
        result.append(Origin(name, str(value), "environment" if variable else "default", variable))
    return result


def settings_in_effect(config: Config) -> list[Origin]:
    """Given a loaded Config, return every setting's value and where it came from."""
    result = []
    for item in fields(config):
        if item.name in ("source", "from_file"):
            continue
        value = _plain(getattr(config, item.name))
        if item.name in config.from_file:
            result.append(Origin(item.name, value, "file"))
        elif (folder := _DEFAULT_FOLLOWS.get(item.name)) and (variable := _from_environment(folder)):
            result.append(Origin(item.name, value, "environment", variable))
        else:
            result.append(Origin(item.name, value, "default"))
    return result
