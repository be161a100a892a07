"""Reports: the assembled :class:`~stackrift.report.model.Report` and one renderer per format."""

from stackrift.report._view import summary_problems

__all__ = ["summary_problems"]
