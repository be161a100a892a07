"""OSV (https://ossf.github.io/osv-schema/): single JSON or YAML records, or osv.dev's all.zip."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson

from stackrift.advisories.feed import (
    checked_zip,
    guarded_record,
    read_limited,
    read_zip_member,
    register_feed,
    rejection,
)
from stackrift.advisories.model import (
    EVENT_KINDS,
    Advisory,
    Affected,
    Event,
    Range,
    Rating,
    Rejection,
)
from stackrift.advisories.severity import cvss_rating
from stackrift.errors import InvalidInputError
from stackrift.estate.yamlsource import load_plain_yaml_data

_SUFFIXES = (".json", ".yaml", ".yml")


class _BadRecordError(ValueError):
    """A record that does not follow the OSV schema (message says where)."""


@register_feed
class OsvFeed:
    """OSV records: a file per record (JSON/YAML) or a zip of JSON records."""

    format: ClassVar[str] = "osv"
    source: ClassVar[str] = "osv"

    def sniff(self, path: Path, head: bytes) -> bool:
        name = path.name.lower()
        if name.endswith(".zip"):
            return head[:4] == b"PK\x03\x04"
        if name.endswith(".json"):
            return head.lstrip()[:1] == b"{" and b'"id"' in head
        if name.endswith((".yaml", ".yml")):
            return any(line.startswith(b"id:") for line in head.splitlines())
        return False

    def parse(self, path: Path) -> Iterator[Advisory | Rejection]:
        if path.name.lower().endswith(".zip"):
            yield from self._parse_zip(path)
            return
        yield parse_osv_bytes(read_limited(path), str(path), yaml_text=not path.name.lower()
                              .endswith(".json"))

    def _parse_zip(self, path: Path) -> Iterator[Advisory | Rejection]:
        with checked_zip(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.is_dir() or not info.filename.lower().endswith(_SUFFIXES):
                    continue
                where = f"{path}!{info.filename}"
                try:
                    data = read_zip_member(archive, info, path)
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    yield rejection(where, None, f"unreadable archive member ({exc})")
                    continue
                yield parse_osv_bytes(data, where, yaml_text=not info.filename.lower()
                                      .endswith(".json"))


def parse_osv_bytes(data: bytes, where: str, *, yaml_text: bool) -> Advisory | Rejection:
    """One OSV record from its bytes, or a rejection saying what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return rejection(where, None, f"not UTF-8 (byte {exc.start}); OSV records are UTF-8 JSON "
                         "or YAML")
    try:
        # JSON goes to orjson: a YAML loader would accept it too, ~20x more slowly
        raw = load_plain_yaml_data(text, where) if yaml_text else orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return rejection(where, None, f"not valid JSON ({str(exc).splitlines()[0]})")
    except InvalidInputError as exc:  # YAML syntax, or an alias bomb refused before expansion
        return rejection(where, None, f"not valid YAML ({exc.problems[0].message}; "
                         f"{exc.problems[0].expected})")
    record_id = raw.get("id") if isinstance(raw, dict) else None

    def build() -> Advisory | Rejection:
        try:
            return osv_record(raw, where)
        except _BadRecordError as exc:
            return rejection(where, record_id if isinstance(record_id, str) else None, str(exc))

    return guarded_record(where, build, check_types=False)  # _str() checked every value


def _str(value: Any, field: str, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise _BadRecordError(f"missing '{field}'; expected a string")
        return None
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):  # YAML parses unquoted timestamps
        return str(value.isoformat())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _BadRecordError(f"'{field}' is {type(value).__name__}; expected a string")


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadRecordError(f"'{field}' is {type(value).__name__}; expected a list")
    return value


def osv_record(raw: Any, where: str, source: str = "osv") -> Advisory:
    """Validate and convert one parsed OSV document."""
    if not isinstance(raw, dict):
        raise _BadRecordError("not an OSV object; expected a mapping with 'id'")
    record_id = _str(raw.get("id"), "id", required=True)
    assert record_id is not None
    aliases = tuple(_str(a, "aliases[]") or "" for a in _list(raw.get("aliases"), "aliases"))
    affected = []
    for index, item in enumerate(_list(raw.get("affected"), "affected")):
        if not isinstance(item, dict):
            raise _BadRecordError(f"affected[{index}] is not a mapping")
        affected.append(_affected(item, index))
    severities = [_severity(s) for s in _list(raw.get("severity"), "severity")]
    for item in affected_db_specific(raw):
        severities.append(Rating("text", None, None, item))
    references = tuple(str(r["url"]) for r in _list(raw.get("references"), "references")
                       if isinstance(r, dict) and isinstance(r.get("url"), str))
    return Advisory(
        source=source, id=record_id, aliases=tuple(a for a in aliases if a),
        published=_str(raw.get("published"), "published"),
        # required by the OSV schema (validation/schema.json: "required": ["id", "modified"]);
        # without it any JSON object with an "id" (a STIX bundle…) would pass for a record
        modified=_str(raw.get("modified"), "modified", required=True),
        withdrawn=_str(raw.get("withdrawn"), "withdrawn"),
        title=_str(raw.get("summary"), "summary"), details=_str(raw.get("details"), "details"),
        severities=tuple(s for s in severities if s is not None), affected=tuple(affected),
        references=references, origin=where)


def affected_db_specific(raw: dict[str, Any]) -> list[str]:
    """GitHub-reviewed records carry a rating word in ``database_specific.severity``."""
    specific = raw.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        return [specific["severity"].lower()]
    return []


def _severity(item: Any) -> Rating | None:
    if not isinstance(item, dict) or not isinstance(item.get("score"), str):
        raise _BadRecordError("severity entries need 'type' and a 'score' string")
    parsed = cvss_rating(item["score"])
    return parsed or Rating(str(item.get("type", "unknown")), item["score"], None, None)


def _affected(item: dict[str, Any], index: int) -> Affected:
    package = item.get("package") or {}
    if not isinstance(package, dict):
        raise _BadRecordError(f"affected[{index}].package is not a mapping")
    ranges = []
    for r_index, r in enumerate(_list(item.get("ranges"), f"affected[{index}].ranges")):
        if not isinstance(r, dict) or r.get("type") not in ("ECOSYSTEM", "SEMVER", "GIT"):
            raise _BadRecordError(f"affected[{index}].ranges[{r_index}].type must be ECOSYSTEM, "
                             "SEMVER or GIT")
        events = []
        for event in _list(r.get("events"), f"affected[{index}].ranges[{r_index}].events"):
            if not isinstance(event, dict) or len(event) != 1:
                raise _BadRecordError(f"affected[{index}].ranges[{r_index}] has an event that "
                                      "is not a single {kind: version} mapping")
            (kind, version), = event.items()
            if kind not in EVENT_KINDS:
                raise _BadRecordError(f"affected[{index}].ranges[{r_index}] has unknown event "
                                 f"'{kind}'; expected one of {', '.join(EVENT_KINDS)}")
            events.append(Event(kind, _str(version, "event version", required=True) or ""))
        ranges.append(Range(r["type"], tuple(events)))
    versions = tuple(_str(v, "versions[]") or "" for v in
                     _list(item.get("versions"), f"affected[{index}].versions"))
    return Affected(ecosystem=_str(package.get("ecosystem"), "package.ecosystem"),
                    name=_str(package.get("name"), "package.name"),
                    purl=_str(package.get("purl"), "package.purl"), ranges=tuple(ranges),
                    versions=versions)
