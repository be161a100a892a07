"""The log formats: Zeek (TSV with its #fields header, and JSON lines), Suricata EVE JSON, and
syslog lines (CEF extensions read by key; plain syslog for IPv4 addresses)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from stackrift.errors import InvalidInputError
from stackrift.intel.telemetry import (
    Event,
    ReadStats,
    TelemetryReader,
    open_log,
    text_lines,
)

# Zeek field (TSV column or JSON key) -> kind of observable.
ZEEK_FIELDS = {
    "id.orig_h": "ip", "id.resp_h": "ip", "query": "domain", "host": "domain",
    "server_name": "domain", "answers": "answer", "md5": "hash", "sha1": "hash",
    "sha256": "hash", "username": "user", "user": "user", "mailfrom": "email",
}
_UNSET = frozenset({"-", "(empty)", ""})
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_CEF_PAIR = re.compile(r"(\w+)=((?:[^=\\]|\\.)*?)(?=\s+\w+=|$)")
CEF_KEYS = {"src": "ip", "dst": "ip", "shost": "domain", "dhost": "domain", "request": "url",
            "suser": "user", "duser": "user", "fileHash": "hash", "destinationDnsDomain": "domain"}


# Event(...) without the named tuple's Python-level __new__: a Zeek conn.log has a line per
# connection (millions), and that call was a fifth of reading one
_new_event = tuple.__new__


def _answer(value: str) -> tuple[str, str]:
    return ("ip" if _IPV4.fullmatch(value) or ":" in value else "domain", value)


class ZeekTsv:
    """Zeek's default TSV logs: ``#fields`` names the columns, ``#set_separator`` splits sets."""

    name = "zeek-tsv"

    def events(self, lines: Iterator[tuple[int, str]], stats: ReadStats) -> Iterator[Event]:
        """Events of the lines, columns named by the latest ``#fields`` header."""
        columns: list[tuple[int, str]] = []
        set_separator = ","
        width = last = 0
        for number, text in lines:
            if text.startswith("#"):
                if text.startswith("#fields\t"):
                    names = text.split("\t")[1:]
                    columns = [(i, ZEEK_FIELDS[n]) for i, n in enumerate(names)
                               if n in ZEEK_FIELDS]
                    width = len(names)
                    # split only as far as the last column read (counting tabs checks width)
                    last = max((i for i, _ in columns), default=0) + 1
                elif text.startswith("#set_separator\t"):
                    set_separator = text.split("\t", 1)[1] or ","
                continue
            if not width:
                stats.bad_line(number, "data before the #fields header", "a Zeek TSV log")
                continue
            tabs = text.count("\t")
            if tabs != width - 1:
                stats.bad_line(number, f"{tabs + 1} columns where #fields names {width}",
                               "one value per #fields column")
                continue
            cells = text.split("\t", last)
            found: list[tuple[str, str]] = []
            for index, kind in columns:
                value = cells[index]
                if value in _UNSET:
                    continue
                if kind == "answer":
                    found += [_answer(v) for v in value.split(set_separator) if v not in _UNSET]
                else:
                    found.append((kind, value))
            yield _new_event(Event, (number, tuple(found)))


def _json_object(number: int, text: str, stats: ReadStats) -> dict[str, Any] | None:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        stats.bad_line(number, f"not JSON ({exc})", "one JSON object per line")
        return None
    if not isinstance(value, dict):
        stats.bad_line(number, "a JSON line that is not an object", "one JSON object per line")
        return None
    return value


class ZeekJson:
    """Zeek logs written with ``LogAscii::use_json``: one object per line, Zeek field names."""

    name = "zeek-json"

    def events(self, lines: Iterator[tuple[int, str]], stats: ReadStats) -> Iterator[Event]:
        """Events of the lines, one JSON object each."""
        for number, text in lines:
            if not text.strip():
                continue
            record = _json_object(number, text, stats)
            if record is None:
                continue
            found: list[tuple[str, str]] = []
            for key, kind in ZEEK_FIELDS.items():
                value = record.get(key)
                values = value if isinstance(value, list) else [value]
                for item in values:
                    if isinstance(item, str) and item not in _UNSET:
                        found.append(_answer(item) if kind == "answer" else (kind, item))
            yield Event(number, tuple(found))


def _eve_values(record: dict[str, Any]) -> list[tuple[str, str]]:
    found = [("ip", record[k]) for k in ("src_ip", "dest_ip") if isinstance(record.get(k), str)]
    sections: list[tuple[str, str, str]] = [
        ("dns", "rrname", "domain"), ("http", "hostname", "domain"), ("http", "url", "url"),
        ("tls", "sni", "domain"), ("fileinfo", "sha256", "hash"), ("fileinfo", "md5", "hash"),
        ("fileinfo", "sha1", "hash")]
    for section, key, kind in sections:
        part = record.get(section)
        if isinstance(part, dict) and isinstance(part.get(key), str):
            found.append((kind, part[key]))
    dns = record.get("dns")
    for query in (dns.get("queries") or []) if isinstance(dns, dict) else []:
        if isinstance(query, dict) and isinstance(query.get("rrname"), str):
            found.append(("domain", query["rrname"]))
    http = record.get("http")
    if isinstance(http, dict) and isinstance(http.get("hostname"), str) and isinstance(
            http.get("url"), str) and http["url"].startswith("/"):
        found.append(("url", f"http://{http['hostname']}{http['url']}"))
    return found


class SuricataEve:
    """Suricata's EVE JSON: one event per line (flow, dns, http, tls, fileinfo, alert)."""

    name = "suricata-eve"

    def events(self, lines: Iterator[tuple[int, str]], stats: ReadStats) -> Iterator[Event]:
        """Events of the lines, one EVE record each."""
        for number, text in lines:
            if not text.strip():
                continue
            record = _json_object(number, text, stats)
            if record is not None:
                yield Event(number, tuple(_eve_values(record)))


def _cef_values(extension: str) -> list[tuple[str, str]]:
    return [(CEF_KEYS[key], value.replace("\\=", "=").strip())
            for key, value in _CEF_PAIR.findall(extension) if key in CEF_KEYS and value.strip()]


class Syslog:
    """Syslog lines: a CEF payload is read by its extension keys; otherwise IPv4 addresses."""

    name = "syslog"

    def events(self, lines: Iterator[tuple[int, str]], stats: ReadStats) -> Iterator[Event]:
        """Events of the lines; a CEF header with fewer than 8 fields is unreadable."""
        for number, text in lines:
            if not text.strip():
                continue
            start = text.find("CEF:")
            if start < 0:
                yield Event(number, tuple(("ip", ip) for ip in _IPV4.findall(text)))
                continue
            parts = re.split(r"(?<!\\)\|", text[start:], maxsplit=7)
            if len(parts) < 8:
                stats.bad_line(number, f"CEF header with {len(parts)} of 8 fields",
                               "CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|"
                               "Extension")
                continue
            yield Event(number, tuple(_cef_values(parts[7])))


READERS: dict[str, TelemetryReader] = {r.name: r for r in (ZeekTsv(), ZeekJson(), SuricataEve(),
                                                           Syslog())}


def detect(path: Path, head: bytes) -> TelemetryReader:
    """The reader for a log, from its first line."""
    first = head.split(b"\n", 1)[0].strip()
    if first.startswith((b"#separator", b"#fields")):
        return READERS["zeek-tsv"]
    if first.startswith(b"{"):
        return READERS["suricata-eve"] if b'"event_type"' in first else READERS["zeek-json"]
    if first:
        return READERS["syslog"]
    raise InvalidInputError.single(path, "empty or unrecognised log", "a Zeek, Suricata EVE or "
                                   "syslog/CEF log")


def read_events(path: Path, stats: ReadStats, fmt: str | None = None) -> Iterator[Event]:
    """Stream the events of one log file (format detected from its first line unless given)."""
    with open_log(path) as handle:
        head = handle.peek(4096)[:4096] if hasattr(handle, "peek") else b""
        if fmt is not None and fmt not in READERS:
            raise InvalidInputError.single(path, f"unknown log format '{fmt}'",
                                           f"one of {', '.join(READERS)}")
        reader = READERS[fmt] if fmt else detect(path, head)
        yield from reader.events(text_lines(handle, stats), stats)
