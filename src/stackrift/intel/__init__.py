"""Threat-intelligence sharing across borders: STIX 2.1 and MISP out, telemetry in, release rules
as data, and matching indicators against local logs without moving the logs."""
