"""Exceptions for faults that stop the work: bad configuration, missing tools, unreadable files.

Problems in the data itself (an unmatched row, a broken sum) are never raised: they become
``Issue`` records (see ``pipeline.issues``).
"""


class XxgkError(Exception):
    """Base class of every exception xxgk raises on purpose."""


class SchemaFileError(XxgkError):
    """The schema files in ``schemas/`` are malformed; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid schema:\n" + "\n".join(f"  - {p}" for p in self.problems))


class MetaFileError(XxgkError):
    """The metadata side file (``--meta``) cannot be used; the message lists every problem."""

    def __init__(self, path: str, problems: list[str]):
        self.problems = list(problems)
        super().__init__(f"metadata file {path}:\n" + "\n".join(f"  - {p}" for p in self.problems))


class UnsupportedFormat(XxgkError):
    """The file is not in a format xxgk reads."""


class DependencyMissing(XxgkError):
    """An external program or package needed for this file is not installed."""


class DocumentLoadError(XxgkError):
    """The file could not be read: corrupt, truncated, encrypted, or over a limit."""


class SettingsError(XxgkError, ValueError):
    """Options that do not exist or values they cannot take; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid options:\n" + "\n".join(f"  - {p}" for p in self.problems))
