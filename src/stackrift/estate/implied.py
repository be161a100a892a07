"""Data flows implied by a system's users: where a system runs, its users' data goes.

A system with ``users_countries`` receives its users' data (prompts, uploads, account data) from
each of those countries at its site, and sends outputs back. These flows are rarely declared, yet
moving the system moves them; the transfers analysis and the planner judge them like declared
flows. Each implied flow is an ordinary :class:`DataFlow` whose id starts with
:data:`IMPLIED_PREFIX`, so every output marks it as implied.

Assumptions, stated so that they can be checked:

- categories: the system's ``user_data`` when declared (an empty list means no user data), else
  ``personal``: whoever uses a system sends it at least identifiers and inputs about themselves
  (declared flows into a system are often about other people and are not reused here);
- the users' end is the system's owner when it is in the users' country, else the group entity
  in that country (first by id), else a stand-in entity ``users-<cc>`` for the individuals
  themselves (relationship ``customer``, transfer kind ``contract_with_individual``);
- subject counts are unknown (volume thresholds stay undetermined, never assumed below);
- mechanisms in place are the system's ``user_data_mechanisms``.
"""

from __future__ import annotations

from dataclasses import dataclass

from stackrift.estate.model import (
    DataCategory,
    DataFlow,
    Entity,
    Estate,
    Relationship,
    System,
    TransferKind,
)

IMPLIED_PREFIX = "implied:"
USERS_PREFIX = "users-"


def is_implied(flow_id: str) -> bool:
    """Whether a flow id names a flow implied by a system's users."""
    return flow_id.startswith(IMPLIED_PREFIX)


def user_categories(estate: Estate, system: System) -> tuple[DataCategory, ...]:
    """The categories of the users' data a system receives (see the module notes)."""
    if system.user_data is not None:
        return system.user_data
    return (DataCategory.PERSONAL,)


@dataclass(frozen=True)
class UsersEnd:
    """Where a country's users' data comes from: a group entity, or a stand-in for them."""

    id: str
    entity: Entity | None  # set when the stand-in has to be added to the estate

    @property
    def individuals(self) -> bool:
        return self.entity is not None


def users_end(estate: Estate, system: System, country: str) -> UsersEnd:
    owner = estate.entity(system.owner) if system.owner else None
    if owner is not None and owner.country == country:
        return UsersEnd(owner.id, None)
    group = sorted((e for e in estate.entities
                    if e.country == country and e.relationship is Relationship.GROUP),
                   key=lambda e: e.id)
    if group:
        return UsersEnd(group[0].id, None)
    stand_in = Entity(id=f"{USERS_PREFIX}{country.lower()}",
                      name=f"users in {country} (individuals)", country=country,
                      relationship=Relationship.CUSTOMER)
    if estate.entity(stand_in.id) is not None:  # the estate already names such an entity
        return UsersEnd(stand_in.id, None)
    return UsersEnd(stand_in.id, stand_in)


def system_user_flows(estate: Estate, system: System, site_id: str,
                      countries: tuple[str, ...] | None = None
                      ) -> tuple[tuple[DataFlow, ...], tuple[Entity, ...]]:
    """The implied flows of ``system`` if it ran at ``site_id`` (users' data in, outputs out),
    and any stand-in entities they need. ``countries`` limits the users' countries."""
    categories = user_categories(estate, system)
    if not categories:
        return (), ()
    flows: list[DataFlow] = []
    added: dict[str, Entity] = {}
    for country in countries if countries is not None else system.users_countries:
        end = users_end(estate, system, country)
        if end.entity is not None:
            added[end.entity.id] = end.entity
        kind = (TransferKind.CONTRACT_WITH_INDIVIDUAL if end.individuals
                else TransferKind.INTRA_GROUP)
        common = {"system": system.id, "data_categories": categories,
                  "subjects_countries": (country,), "purpose": system.purpose,
                  "transfer_kind": kind, "mechanisms": system.user_data_mechanisms}
        flows.append(DataFlow(
            id=f"{IMPLIED_PREFIX}{system.id}:{country.lower()}:in",
            name=f"implied: data of {system.id}'s users in {country} to its site",
            source=end.id, destination=site_id, **common))
        flows.append(DataFlow(
            id=f"{IMPLIED_PREFIX}{system.id}:{country.lower()}:out",
            name=f"implied: {system.id}'s outputs to its users in {country}",
            source=site_id, destination=end.id, recipient=end.id, **common))
    return tuple(flows), tuple(added.values())


def with_implied_flows(estate: Estate, cross_border_only: bool = True) -> Estate:
    """``estate`` with every system's implied user-data flows added (by default only those that
    cross a border where the system runs today), and the stand-in entities they need."""
    flows: list[DataFlow] = []
    entities: dict[str, Entity] = {}
    known = {f.id for f in estate.data_flows}
    for system in estate.systems:
        site = estate.site(system.site) if system.site else None
        if site is None or not system.users_countries:
            continue
        countries = tuple(c for c in system.users_countries
                          if not cross_border_only or c != site.country)
        found, added = system_user_flows(estate, system, site.id, countries)
        flows += [f for f in found if f.id not in known]
        entities |= {e.id: e for e in added}
    if not flows:
        return estate
    return estate.model_copy(update={
        "entities": estate.entities + tuple(entities.values()),
        "data_flows": estate.data_flows + tuple(flows)})
