"""The cases tests' drainage matter, reused: a posted licence needs a case to post."""

from tongban.cases.tests.conftest import _media_in_tmp, drainage

__all__ = ["_media_in_tmp", "drainage"]
