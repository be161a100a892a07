"""Each provenance policy on its own, with the packaged catalogue, and their composition."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from stackrift.analyses._provenance_policies import (
    MILITARY_1260H,
    UNRELIABLE_ENTITY,
    AllOf,
    ComponentOnVendorList,
    EntityListedComponent,
    EntityListedHost,
    FirstOf,
    HostOnVendorList,
    LocalOperator,
    MixedStack,
    Rule,
    Scope,
    SiteMismatch,
    SupplierCountryOnly,
    UnresolvedComponent,
    UnresolvedSite,
    WeightsFromAnotherBloc,
    component_policies,
)
from stackrift.analyses.provenance import (
    REPORTED_LAYERS,
    ComponentProvenance,
    ProvenanceAnalysis,
    SystemProvenance,
    layer_of,
)
from stackrift.catalog.catalogue import Catalogue, SiteResolution
from stackrift.catalog.model import ListStatus
from stackrift.estate.model import Bloc, Component, Criticality, Site, System
from stackrift.findings import Finding, Severity

AS_OF = date(2026, 11, 20)


def component(**fields: Any) -> Component:
    return Component(**{"id": "c", "name": "c", "type": "library", **fields})


def provenance(catalogue: Catalogue, subject: Component,
               others: tuple[Component, ...] = ()) -> ComponentProvenance:
    everything = (subject, *others)
    resolution = catalogue.resolve(subject)
    lineage = tuple(catalogue.lineage(subject, everything)) if subject.type == "model" else ()
    paths = (tuple(tuple(p) for p in catalogue.lineages(subject, everything))
             if subject.type == "model" else ())
    return ComponentProvenance(subject, resolution, layer_of(subject, resolution), lineage, paths)


def system(criticality: str = "medium", **fields: Any) -> System:
    return System(**{"id": "s1", "name": "S1", "purpose": "p", "components": [],
                     "criticality": criticality, **fields})


def scope(catalogue: Catalogue, *systems: System, as_of: date = AS_OF) -> Scope:
    return Scope(systems, as_of, catalogue)


def site(catalogue: Catalogue, **fields: Any) -> SiteResolution:
    record = {"id": "site", "name": "site", "kind": "cloud_region", "country": "US", **fields}
    return catalogue.resolve_site(Site(**record))


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


# -- components -------------------------------------------------------------------------------


def test_entity_listed_vendor_counts_from_its_listing_date(catalogue: Catalogue) -> None:
    ascend = provenance(catalogue, component(type="accelerator", name="Ascend 910B",
                                             vendor="Huawei"))
    policy = EntityListedComponent()
    found = policy.check(ascend, scope(catalogue, system("critical")))
    assert rules(found) == [Rule.ENTITY_LISTED_VENDOR]
    assert found[0].severity is Severity.CRITICAL
    assert found[0].evidence["vendor_id"] == "huawei"
    assert policy.check(ascend, scope(catalogue, as_of=date(2019, 5, 15))) == []
    assert policy.check(ascend, scope(catalogue))[0].severity is Severity.MEDIUM  # unused


def test_entity_listed_origin_follows_the_lineage(catalogue: Catalogue) -> None:
    tuned = component(id="ft", name="ft", type="model", supplier_country="US",
                      base_models=["BAAI/bge-m3"])
    found = EntityListedComponent().check(provenance(catalogue, tuned), scope(catalogue))
    assert rules(found) == [Rule.ENTITY_LISTED_ORIGIN]
    assert found[0].evidence["lineage"][-1].startswith("BAAI/bge-m3 (")
    before = EntityListedComponent().check(provenance(catalogue, tuned),
                                           scope(catalogue, as_of=date(2025, 1, 1)))
    assert before == []


def test_s1260h_listing_reaches_a_subsidiary_through_its_parent(catalogue: Catalogue) -> None:
    qwen = provenance(catalogue, component(type="model", name="qwen", hf_id="Qwen/Qwen2.5-7B"))
    policy = ComponentOnVendorList(MILITARY_1260H)
    found = policy.check(qwen, scope(catalogue, system()))
    assert rules(found) == [Rule.MILITARY_COMPANY_1260H]
    assert found[0].evidence["listed_party"] == "Alibaba Group"
    assert found[0].severity is Severity.LOW  # the listing rests on an unverified citation
    assert found[0].title.endswith("(listing unverified)")
    assert policy.check(qwen, scope(catalogue, as_of=date(2026, 2, 12))) == []
    assert ComponentOnVendorList(UNRELIABLE_ENTITY).check(qwen, scope(catalogue)) == []
    hunyuan = provenance(catalogue, component(type="model", name="hy", hf_id="tencent/Hunyuan"))
    direct = policy.check(hunyuan, scope(catalogue, system()))
    assert [(f.rule, f.severity) for f in direct] == [(Rule.MILITARY_COMPANY_1260H,
                                                       Severity.MEDIUM)]
    assert policy.check(hunyuan, scope(catalogue))[0].severity is Severity.LOW  # unused


def test_unreliable_entity_list_is_checked_for_a_listed_vendor(catalogue: Catalogue) -> None:
    listed = ListStatus(listed=True, since=date(2025, 2, 4))
    vendors = tuple(v.model_copy(update={"unreliable_entity_list": listed}) if v.id == "nvidia"
                    else v for v in catalogue.data.vendors)
    changed = Catalogue(catalogue.data.model_copy(update={"vendors": vendors}))
    h100 = provenance(changed, component(type="accelerator", name="H100", vendor="NVIDIA"))
    found = ComponentOnVendorList(UNRELIABLE_ENTITY).check(h100, scope(changed, system()))
    assert rules(found) == [Rule.UNRELIABLE_ENTITY_LIST]
    assert found[0].title.startswith("H100 comes from NVIDIA, which is on China's Unreliable")
    assert ComponentOnVendorList(UNRELIABLE_ENTITY).check(
        h100, scope(changed, as_of=date(2025, 2, 3))) == []


def test_weights_from_another_bloc(catalogue: Catalogue) -> None:
    tuned = component(id="ft", name="ft", type="model", supplier_country="US",
                      base_models=["Qwen/Qwen2.5-7B-Instruct"])
    found = WeightsFromAnotherBloc().check(provenance(catalogue, tuned), scope(catalogue))
    assert rules(found) == [Rule.LINEAGE_ORIGIN]
    assert (found[0].evidence["publisher_bloc"], found[0].evidence["origin_bloc"]) == ("us", "cn")
    same = component(id="ft", name="ft", type="model", supplier_country="US",
                     base_models=["meta-llama/Llama-3.1-8B"])
    assert WeightsFromAnotherBloc().check(provenance(catalogue, same), scope(catalogue)) == []
    unknown = component(id="ft", name="ft", type="model", base_models=["Qwen/Qwen2.5-7B"])
    assert WeightsFromAnotherBloc().check(provenance(catalogue, unknown), scope(catalogue)) == []


def test_unresolved_alternatives_report_only_the_first_that_applies(catalogue: Catalogue) -> None:
    in_house = provenance(catalogue, component(name="our-tool", supplier_country="DE"))
    nothing = provenance(catalogue, component(name="mystery-lib"))
    known = provenance(catalogue, component(purl="pkg:pypi/torch@2.3.1"))
    either = FirstOf(SupplierCountryOnly(), UnresolvedComponent())
    assert rules(either.check(in_house, scope(catalogue))) == [Rule.SUPPLIER_COUNTRY_ONLY]
    assert rules(UnresolvedComponent().check(in_house, scope(catalogue))) == [
        Rule.UNRESOLVED_COMPONENT]  # alone it would report: FirstOf is what keeps one
    assert rules(either.check(nothing, scope(catalogue))) == [Rule.UNRESOLVED_COMPONENT]
    assert SupplierCountryOnly().check(nothing, scope(catalogue)) == []
    assert either.check(known, scope(catalogue)) == []


# -- sites ------------------------------------------------------------------------------------


def test_local_operator(catalogue: Catalogue) -> None:
    ningxia = site(catalogue, provider="Amazon Web Services", region="cn-northwest-1",
                   country="CN")
    found = LocalOperator().check(ningxia, scope(catalogue))
    assert rules(found) == [Rule.LOCAL_OPERATOR]
    assert found[0].evidence["operator"] == ningxia.operator.name  # type: ignore[union-attr]
    virginia = site(catalogue, provider="Amazon Web Services", region="us-east-1")
    assert LocalOperator().check(virginia, scope(catalogue)) == []


def test_entity_listed_host_reports_the_provider_once(catalogue: Catalogue) -> None:
    beijing = site(catalogue, provider="Huawei Cloud", region="cn-north-4", country="CN")
    found = EntityListedHost().check(beijing, scope(catalogue, system()))
    assert rules(found) == [Rule.ENTITY_LISTED_CLOUD]
    assert found[0].evidence["role"] == "provider"
    assert found[0].severity is Severity.HIGH
    virginia = site(catalogue, provider="Amazon Web Services", region="us-east-1")
    assert EntityListedHost().check(virginia, scope(catalogue)) == []


def test_unresolved_site_and_mismatch(catalogue: Catalogue) -> None:
    unknown_region = site(catalogue, provider="Amazon Web Services", region="mars-1")
    assert rules(UnresolvedSite().check(unknown_region, scope(catalogue))) == [
        Rule.UNRESOLVED_SITE]
    wrong_country = site(catalogue, provider="Amazon Web Services", region="us-east-1",
                         country="DE")
    assert UnresolvedSite().check(wrong_country, scope(catalogue)) == []
    found = SiteMismatch().check(wrong_country, scope(catalogue))
    assert rules(found) == [Rule.SITE_MISMATCH]
    assert found[0].id.endswith(":1")
    assert SiteMismatch().check(unknown_region, scope(catalogue)) == []


def test_host_on_vendor_list_through_the_parent(catalogue: Catalogue) -> None:
    hangzhou = site(catalogue, provider="Alibaba Cloud", region="cn-hangzhou", country="CN")
    found = HostOnVendorList(MILITARY_1260H).check(hangzhou, scope(catalogue, system()))
    assert rules(found) == [Rule.MILITARY_COMPANY_1260H]
    assert found[0].evidence["listed_party"] == "Alibaba Group"
    virginia = site(catalogue, provider="Amazon Web Services", region="us-east-1")
    assert HostOnVendorList(MILITARY_1260H).check(virginia, scope(catalogue)) == []


# -- systems and composition ------------------------------------------------------------------


def _system_provenance(members: list[ComponentProvenance]) -> SystemProvenance:
    layers = {layer: tuple(sorted({b for cp in members if cp.layer is layer for b in cp.blocs}))
              for layer in REPORTED_LAYERS}
    return SystemProvenance(system(), None, tuple(members), layers)


def test_mixed_stack_is_medium_for_us_and_cn(catalogue: Catalogue) -> None:
    h100 = provenance(catalogue, component(id="h", type="accelerator", name="H100",
                                           vendor="NVIDIA"))
    ascend = provenance(catalogue, component(id="a", type="runtime", name="CANN",
                                             vendor="Huawei"))
    found = MixedStack().check(_system_provenance([h100, ascend]), scope(catalogue))
    assert rules(found) == [Rule.MIXED_STACK]
    assert found[0].severity is Severity.MEDIUM and found[0].evidence["us_and_cn"] is True
    assert any("84 FR 22961" in str(c) for c in found[0].citations)  # Huawei's listing
    assert MixedStack().check(_system_provenance([h100]), scope(catalogue)) == []


class Always:
    """A policy reporting one fixed finding, to test composition."""

    def __init__(self, finding: Finding | None) -> None:
        self.finding = finding

    def check(self, subject: object, scope: Scope) -> list[Finding]:
        return [self.finding] if self.finding else []


def test_all_of_and_first_of(catalogue: Catalogue) -> None:
    one = Finding(id="a", analysis="t", rule="a", severity=Severity.LOW, title="a",
                  subject={"kind": "system", "id": "s"}, recommendation="r")
    two = one.model_copy(update={"id": "b"})
    ctx = scope(catalogue)
    assert AllOf(Always(one), Always(None), Always(two)).check(None, ctx) == [one, two]
    assert FirstOf(Always(None), Always(two), Always(one)).check(None, ctx) == [two]
    assert FirstOf(Always(None)).check(None, ctx) == AllOf().check(None, ctx) == []


def test_the_analysis_runs_the_policies_it_is_given(
        catalogue: Catalogue, demo_estate: Any) -> None:
    from stackrift.analyses.base import AnalysisContext
    from stackrift.estate.loader import load_estate

    loaded = load_estate(demo_estate)
    context = AnalysisContext(as_of=AS_OF, catalogue=catalogue)
    full = ProvenanceAnalysis().run(loaded, context)
    only = ProvenanceAnalysis(components=EntityListedComponent(), sites=AllOf(),
                              systems=AllOf()).run(loaded, context)
    expected = [f for f in full.findings if f.rule in (Rule.ENTITY_LISTED_VENDOR,
                                                       Rule.ENTITY_LISTED_ORIGIN)]
    assert expected and list(only.findings) == expected
    assert only.summary == full.summary
    assert isinstance(component_policies(), AllOf)


@pytest.mark.parametrize("criticality", [Criticality.CRITICAL, Criticality.HIGH])
def test_scope_exposure(catalogue: Catalogue, criticality: Criticality) -> None:
    expected = Severity.CRITICAL if criticality is Criticality.CRITICAL else Severity.HIGH
    assert scope(catalogue, system(criticality.value)).exposure() is expected
    assert Bloc.US in Bloc  # enums, not strings, carry the blocs
