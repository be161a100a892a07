"""The command line's choices are the library's own: each enum equals the registry it names."""

from __future__ import annotations

from stackrift.choices import BomFormat, FeedFormat, PlanObjective, ReportFormat


def test_feed_formats_are_the_registered_feeds() -> None:
    from stackrift.advisories.feed import FEED_MODULES, feeds

    assert {f.value for f in FeedFormat} == set(FEED_MODULES) == set(feeds())


def test_report_formats_are_the_registered_renderers() -> None:
    from stackrift.report.base import formats

    assert {f.value for f in ReportFormat} == set(formats())


def test_library_modules_use_the_same_enums() -> None:
    from stackrift.bom.export import BomFormat as ExportFormat
    from stackrift.plan.solver import Objective

    assert ExportFormat is BomFormat
    assert Objective is PlanObjective
