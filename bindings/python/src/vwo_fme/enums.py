"""Public enums, as in the official SDK."""

from enum import Enum


class LogLevelEnum(str, Enum):
    """Log levels (the values are what the ``logger.level`` option accepts)."""

    TRACE = "trace"
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


#: Level numbers used by the native library's log callback (0 trace ... 4 error).
LEVEL_NUMBERS = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4}
#: Upper-case names by number, as handed to a transport's ``log(level, message)``.
LEVEL_NAMES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


def level_number(level, default: int = 4) -> int:
    """The number of a level given as a string (any case), a ``LogLevelEnum`` or a number."""
    if isinstance(level, bool):
        return default
    if isinstance(level, int):
        return level if 0 <= level <= 4 else default
    if isinstance(level, LogLevelEnum):
        return LEVEL_NUMBERS[level.value]
    if isinstance(level, str):
        return LEVEL_NUMBERS.get(level.strip().lower(), default)
    return default
