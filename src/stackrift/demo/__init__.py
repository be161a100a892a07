"""The bundled demo: a realistic fictional multinational assessed end to end."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from stackrift.analyses.base import AnalysisContext
from stackrift.errors import UsageError
from stackrift.estate.loader import load_estate
from stackrift.pipeline import assess
from stackrift.report.base import renderer

DEMO_FORMATS = ("html", "json", "md")


def demo_estate_path() -> Path:
    """Path of the packaged demo estate file."""
    return Path(str(resources.files("stackrift.demo") / "estate.yaml"))


def run_demo(output_dir: Path, as_of: date,
             formats: tuple[str, ...] = DEMO_FORMATS) -> list[Path]:
    """Assess the demo estate and write one report per format (``report.EXT``) into
    ``output_dir``."""
    context = AnalysisContext.default(as_of)
    report = assess(load_estate(demo_estate_path()), context)
    written = []
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name in formats:
            chosen = renderer(name)
            target = output_dir / f"report.{chosen.extension}"
            target.write_text(chosen.render(report), encoding="utf-8")
            written.append(target)
    except OSError as exc:
        raise UsageError(f"{output_dir}: cannot write the demo reports ({exc.strerror}); "
                         "expected a folder that can be created and written to") from exc
    return written
