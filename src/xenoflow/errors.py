"""Errors that stop a study with one clear message (no traceback)."""


class XenoflowError(ValueError):
    """Base class: the message alone tells the user what to fix."""


class ConfigError(XenoflowError):
    """A study file or the workflow config is invalid. The message names file and key."""


class InputError(XenoflowError):
    """Bad input data. The message names the file, row and column and what was expected."""


class NotEstimable(XenoflowError):
    """An analysis cannot be computed for these data (an arm with no mouse on the day, no day
    shared by the arms). Not a fault of the input: the stage skips that analysis with the
    message as the stated reason, and the study's other analyses still run."""
