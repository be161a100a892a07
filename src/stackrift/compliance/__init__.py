"""Obligations per system across regimes, a crosswalk between frameworks, and the smallest set of
controls that discharges them all.

``model`` holds the typed records, ``loader`` reads frameworks, crosswalks and control catalogues
(every problem located as FILE:LINE:COL), ``oscal`` reads NIST's OSCAL catalogues, ``conditions``
holds the small composable checks, ``engine`` decides applicability per system and date and the
status of each obligation against declared controls, and ``cover`` picks the cheapest control set
with CP-SAT. All functions are pure: same inputs, same trace.
"""
