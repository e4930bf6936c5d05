"""Label and field selector grammar and matching, checked against the API server's semantics."""

from __future__ import annotations

import pytest

from spotvortex.sim.kube.errors import ApiError
from spotvortex.sim.kube.selectors import (
    DOES_NOT_EXIST,
    EQUALS,
    EXISTS,
    IN,
    NOT_EQUALS,
    NOT_IN,
    Requirement,
    check_fields_supported,
    field_value,
    fields_match,
    label_selector_matches,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)

SPOT = {"karpenter.sh/capacity-type": "spot", "zone": "a", "tier": "web"}
ON_DEMAND = {"karpenter.sh/capacity-type": "on-demand", "zone": "b"}


def select(text: str, labels: dict[str, str]) -> bool:
    return labels_match(parse_label_selector(text), labels)


def test_parses_every_operator() -> None:
    reqs = parse_label_selector("a=1,b==2,c!=3,d in (x, y),e notin (z),f,!g")
    assert reqs == [
        Requirement("a", EQUALS, ("1",)),
        Requirement("b", EQUALS, ("2",)),
        Requirement("c", NOT_EQUALS, ("3",)),
        Requirement("d", IN, ("x", "y")),
        Requirement("e", NOT_IN, ("z",)),
        Requirement("f", EXISTS),
        Requirement("g", DOES_NOT_EXIST),
    ]


@pytest.mark.parametrize(
    ("selector", "spot", "on_demand"),
    [
        ("karpenter.sh/capacity-type=spot", True, False),
        ("karpenter.sh/capacity-type==spot", True, False),
        ("karpenter.sh/capacity-type!=spot", False, True),
        ("zone in (a,c)", True, False),
        ("zone notin (a)", False, True),
        ("tier", True, False),
        ("!tier", False, True),
        ("tier!=web", False, True),  # != also selects objects without the label
        ("tier notin (web)", False, True),
        ("", True, True),
        ("zone in (a,b),!tier", False, True),
    ],
)
def test_matching(selector: str, spot: bool, on_demand: bool) -> None:
    assert select(selector, SPOT) is spot
    assert select(selector, ON_DEMAND) is on_demand


def test_numeric_comparisons() -> None:
    assert select("gen>3", {"gen": "4"})
    assert not select("gen>3", {"gen": "3"})
    assert select("gen<3", {"gen": "2"})
    assert not select("gen<3", {"gen": "x"})


def test_empty_value_is_allowed() -> None:
    assert select("a=", {"a": ""})
    assert not select("a=", {"a": "x"})


@pytest.mark.parametrize(
    "bad", ["a in ()", "a in x", "=a", "a b", "a=b c", "-bad-=x", "a=" + "x" * 64, "a>b"]
)
def test_malformed_selectors_are_400(bad: str) -> None:
    with pytest.raises(ApiError) as err:
        parse_label_selector(bad)
    assert err.value.code == 400
    assert err.value.reason == "BadRequest"


def test_label_selector_object_semantics() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "zone", "operator": "In", "values": ["a", "b"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    assert label_selector_matches(selector, {"app": "web", "zone": "a"})
    assert not label_selector_matches(selector, {"app": "web", "zone": "a", "canary": "1"})
    assert not label_selector_matches(selector, {"app": "web", "zone": "c"})
    assert label_selector_matches({}, {"anything": "x"})  # empty selector selects all
    assert not label_selector_matches(None, {"anything": "x"})  # no selector selects nothing


def test_field_selector_parsing_and_escapes() -> None:
    reqs = parse_field_selector(r"spec.nodeName=n1,status.phase!=Failed,metadata.name==a\,b")
    assert [(r.field, r.op, r.value) for r in reqs] == [
        ("spec.nodeName", EQUALS, "n1"),
        ("status.phase", NOT_EQUALS, "Failed"),
        ("metadata.name", EQUALS, "a,b"),
    ]
    assert parse_field_selector("") == []


def test_field_matching() -> None:
    pod = {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": "n1", "hostNetwork": True}}
    assert fields_match(parse_field_selector("spec.nodeName=n1,metadata.namespace=ns"), pod)
    assert not fields_match(parse_field_selector("spec.nodeName!=n1"), pod)
    assert fields_match(parse_field_selector("status.phase="), pod)  # missing reads as empty
    assert field_value(pod, "spec.hostNetwork") == "true"


def test_unsupported_field_is_400() -> None:
    with pytest.raises(ApiError) as err:
        check_fields_supported(parse_field_selector("spec.bogus=x"), frozenset({"metadata.name"}))
    assert err.value.code == 400
    assert "field label not supported: spec.bogus" in err.value.message
    with pytest.raises(ApiError):
        parse_field_selector("no-operator")
