"""Errors the course raises for learners: one clear message, no library traceback."""

from __future__ import annotations


class CourseError(Exception):
    """Base class for problems a learner can fix; the message says how.

    In Jupyter, IPython calls ``_render_traceback_`` when present, so these show as
    the message alone instead of a stack of frames from inside the course code.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


class ParameterError(CourseError, ValueError):
    """A function was given a value it does not accept."""


class AssetError(CourseError):
    """An asset could not be found, verified or stored."""


class UnknownAssetError(AssetError, KeyError):
    """The name is not in the asset registry."""

    def __str__(self) -> str:  # KeyError would otherwise wrap the message in quotes
        return str(self.args[0])


class AssetUnavailableError(AssetError):
    """No verified copy of an asset exists anywhere the course may look."""


class CacheNotWritableError(AssetError):
    """The cache folder cannot be created or written to."""


class NotEnoughSpaceError(AssetError):
    """The disk has too little free space to make a copy of an asset."""


class InputError(CourseError, ValueError):
    """A learner's own input (a photo, a sentence, a path) cannot be used as it is; the message says why."""
