"""Errors that stop a study with one clear message (no traceback)."""


class XenoflowError(ValueError):
    """Base class: the message alone tells the user what to fix."""


class ConfigError(XenoflowError):
    """A study file or the workflow config is invalid. The message names file and key."""


class InputError(XenoflowError):
    """Bad input data. The message names the file, row and column and what was expected."""
