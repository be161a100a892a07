"""Policy-shock scenarios: YAML files with an effective date and one or more shocks.

Shock kinds:

- ``entity_list_add``: vendors (or the vendors of named products) join the US Entity List; with
  ``affiliates_of_listed: true`` every catalogued vendor whose parent is listed counts as listed
  (the BIS affiliates rule), and estate entities owned at least ``min_ownership_pct`` by a listed
  vendor become restricted counterparties.
- ``export_licence``: a US licence becomes required for products selected by id or name,
  equivalence class, ECCN prefix and/or vendor country, to destinations (Country Groups such as
  ``D:5``, ``EU``, or ISO codes).
- ``country_ban``: a country forbids vendors' or products' use at sites in that country.
- ``region_unavailable``: cloud regions (provider + region codes) or named sites are lost.
- ``model_licence_exclusion``: a model family's licence excludes users, hosts or owners in some
  jurisdictions.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from stackrift.errors import InvalidInputError, Problem, UsageError, combine
from stackrift.estate.loader import validation_error
from stackrift.estate.model import CountryCode
from stackrift.estate.yamlsource import LocatedDocument, PathKey, load_located
from stackrift.findings import Citation


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Shock(_Record):
    description: str = Field(description="What happens, in one sentence.")
    citations: tuple[Citation, ...] = ()


class EntityListAdd(_Shock):
    kind: Literal["entity_list_add"]
    vendors: tuple[str, ...] = Field(default=(), description="Catalogue vendor ids or names.")
    products: tuple[str, ...] = Field(default=(), description="Their vendors are listed.")
    affiliates_of_listed: bool = False
    min_ownership_pct: float = Field(default=50.0, ge=0, le=100)


class ExportLicence(_Shock):
    kind: Literal["export_licence"]
    control_id: str = Field(description="Id of the new requirement; a system holding a licence "
                            "lists it in export_licences.")
    products: tuple[str, ...] = ()
    equivalence_classes: tuple[str, ...] = ()
    eccn_prefixes: tuple[str, ...] = Field(default=(), description="e.g. '3A090' matches "
                                           "products whose existing controls carry that ECCN.")
    vendor_countries: tuple[CountryCode, ...] = Field(default=(), description="Only products of "
                                                      "vendors headquartered here (EAR reach).")
    destinations: tuple[str, ...] = Field(min_length=1)


class CountryBan(_Shock):
    kind: Literal["country_ban"]
    country: CountryCode
    vendors: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    layers: tuple[str, ...] = Field(default=(), description="Limit to these catalogue layers, "
                                    "e.g. [accelerator]; empty means every layer.")


class RegionUnavailable(_Shock):
    kind: Literal["region_unavailable"]
    provider: str | None = Field(default=None, description="Cloud provider (catalogue name).")
    regions: tuple[str, ...] = Field(default=(), description="Region codes of that provider.")
    sites: tuple[str, ...] = Field(default=(), description="Estate site ids (for ad-hoc runs).")


class ModelLicenceExclusion(_Shock):
    kind: Literal["model_licence_exclusion"]
    models: tuple[str, ...] = Field(min_length=1, description="Catalogue model product ids/names.")
    excluded: tuple[str, ...] = Field(min_length=1, description="Country Groups ('EU', 'D:5') "
                                      "or ISO codes whose users, hosts or owners are excluded.")


Shock = Annotated[EntityListAdd | ExportLicence | CountryBan | RegionUnavailable
                  | ModelLicenceExclusion, Field(discriminator="kind")]


SHOCK_MODELS: dict[str, type[_Shock]] = {
    "entity_list_add": EntityListAdd, "export_licence": ExportLicence, "country_ban": CountryBan,
    "region_unavailable": RegionUnavailable, "model_licence_exclusion": ModelLicenceExclusion}


class Scenario(_Record):
    """One scenario file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str
    effective: date
    status: Literal["enacted", "reported", "hypothetical"] = Field(
        description="enacted: the measure is law; reported: public reporting, not confirmed by "
                    "an official text; hypothetical: a plausible what-if.")
    confidence: Literal["verified", "unverified"] = "verified"
    citations: tuple[Citation, ...] = ()
    shocks: tuple[Shock, ...] = Field(min_length=1)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; every problem is located (FILE:LINE:COL)."""
    doc = load_located(path)
    if not isinstance(doc.data, dict):
        raise InvalidInputError([Problem(doc.locate(()), "a scenario must be a mapping",
                                         "keys id, title, description, effective, shocks")])
    problems: list[Problem] = []
    shocks: list[_Shock] = []
    raw_shocks = doc.data.get("shocks")
    for index, raw in enumerate(raw_shocks if isinstance(raw_shocks, list) else []):
        kind = raw.get("kind") if isinstance(raw, dict) else None
        model = SHOCK_MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            where: PathKey = ("shocks", index, "kind") if kind is not None else ("shocks", index)
            problems.append(Problem(doc.locate(where), f"shocks[{index}]: unknown or missing "
                                    f"shock kind {kind!r}", f"one of {', '.join(SHOCK_MODELS)}"))
            continue
        try:
            shocks.append(model.model_validate(raw))
        except ValidationError as exc:
            here = f" in shocks[{index}]"
            problems += [Problem(p.location, p.message.replace(" in document", here), p.expected)
                         for p in validation_error(_shifted(doc, index), exc, model).problems]
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        errors = [e for e in exc.errors() if not (problems and e["loc"][:1] == ("shocks",))
                  and not (len(e["loc"]) > 1 and e["loc"][0] == "shocks")]
        problems += validation_error(doc, cast(ValidationError, _Errors(errors)), Scenario).problems
        scenario = None
    error = combine(problems)
    if error is not None or scenario is None:
        raise error or InvalidInputError(problems)
    return scenario


def _shifted(doc: LocatedDocument, index: int) -> LocatedDocument:
    """The document seen from one shock, so that its model's errors locate correctly."""
    prefix = ("shocks", index)
    values = {k[2:]: v for k, v in doc.value_locations.items() if k[:2] == prefix}
    keys = {k[2:]: v for k, v in doc.key_locations.items() if k[:2] == prefix}
    return LocatedDocument(doc.path, doc.data["shocks"][index], values, keys)


class _Errors:
    """Stands in for a ValidationError with a filtered error list."""

    def __init__(self, errors: list[ErrorDetails]) -> None:
        self._errors = errors

    def errors(self) -> list[ErrorDetails]:
        return self._errors


def packaged_scenario_dir() -> Path:
    """The scenario folder of the active knowledge set."""
    from stackrift.knowledge.sets import knowledge_path

    return knowledge_path("plan/scenarios")


def packaged_scenarios() -> list[Path]:
    """The scenario files shipped with StackRift, sorted by name."""
    return sorted(packaged_scenario_dir().glob("*.yaml"))


def resolve_scenario(reference: str) -> Path:
    """A scenario file path, or the id of a packaged scenario."""
    path = Path(reference)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        if not path.exists():
            raise UsageError(f"{reference}: scenario file not found")
        return path
    packaged = {p.stem: p for p in packaged_scenarios()}
    if reference in packaged:
        return packaged[reference]
    raise UsageError(f"'{reference}' is neither a scenario file nor a packaged scenario; "
                     f"packaged: {', '.join(sorted(packaged))}")
