"""Knowledge sets: the catalogue, rule packs, scenarios and country groups as one versioned set.

:mod:`.manifest` describes a set (version, date, SHA-256 per file); :mod:`.sets` resolves the active
set that every data loader reads; :mod:`.install` verifies and installs a new set atomically;
:mod:`.facts` lists the fact-carrying records of a set, which :mod:`.diff` compares and
:mod:`.audit` checks for sources, verification, age and contradictions.
"""
