"""The three patch formats as pure functions: RFC 7386, RFC 6902 and strategic merge."""

from __future__ import annotations

from typing import Any

import pytest

from spotvortex.sim.kube.json_patch import (
    JsonPatchApplyError,
    JsonPatchFormatError,
    apply_json_patch,
    json_equal,
    parse_pointer,
)
from spotvortex.sim.kube.merge_patch import apply_merge_patch
from spotvortex.sim.kube.patch_schema import rules_for
from spotvortex.sim.kube.strategic_patch import StrategicPatchError, apply_strategic_merge_patch

# -- RFC 7386 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [  # the examples of RFC 7386 appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_rfc_examples(target: Any, patch: Any, result: Any) -> None:
    assert apply_merge_patch(target, patch) == result


def test_merge_patch_does_not_mutate_inputs() -> None:
    target = {"a": {"b": 1}}
    apply_merge_patch(target, {"a": {"b": 2}})
    assert target == {"a": {"b": 1}}


# -- RFC 6902 ------------------------------------------------------------------------------------------


def test_json_patch_operations() -> None:
    doc = {"metadata": {"labels": {"a": "1"}}, "spec": {"taints": [{"key": "x"}]}}
    ops = [
        {"op": "add", "path": "/metadata/labels/karpenter.sh~1capacity-type", "value": "spot"},
        {"op": "replace", "path": "/metadata/labels/a", "value": "2"},
        {"op": "add", "path": "/spec/taints/-", "value": {"key": "y"}},
        {"op": "add", "path": "/spec/taints/0", "value": {"key": "w"}},
        {"op": "remove", "path": "/spec/taints/1"},
        {"op": "copy", "from": "/metadata/labels/a", "path": "/metadata/labels/b"},
        {"op": "move", "from": "/metadata/labels/b", "path": "/metadata/labels/c"},
        {"op": "test", "path": "/metadata/labels/c", "value": "2"},
    ]
    assert apply_json_patch(doc, ops) == {
        "metadata": {"labels": {"a": "2", "karpenter.sh/capacity-type": "spot", "c": "2"}},
        "spec": {"taints": [{"key": "w"}, {"key": "y"}]},
    }
    assert doc["metadata"]["labels"] == {"a": "1"}  # input untouched


def test_json_patch_replace_whole_document() -> None:
    assert apply_json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {"b": 2}


@pytest.mark.parametrize(
    "op",
    [
        {"op": "remove", "path": "/missing"},
        {"op": "replace", "path": "/missing", "value": 1},
        {"op": "add", "path": "/a/b/c", "value": 1},
        {"op": "add", "path": "/list/5", "value": 1},
        {"op": "add", "path": "/list/01", "value": 1},
        {"op": "test", "path": "/flag", "value": 1},  # true is not 1 in JSON
        {"op": "move", "from": "/a", "path": "/a/child"},
        {"op": "frobnicate", "path": "/a"},
        {"op": "add", "path": "no-slash", "value": 1},
    ],
)
def test_json_patch_failures(op: dict[str, Any]) -> None:
    with pytest.raises(JsonPatchApplyError):
        apply_json_patch({"a": {}, "list": [1], "flag": True}, [op])


@pytest.mark.parametrize("body", [{"metadata": {}}, "text", 3, [1]])
def test_json_patch_body_must_be_a_list_of_objects(body: Any) -> None:
    with pytest.raises(JsonPatchFormatError):
        apply_json_patch({}, body)


def test_pointer_and_equality_helpers() -> None:
    assert parse_pointer("/a~1b/c~0d") == ["a/b", "c~d"]
    assert json_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not json_equal(True, 1)
    assert not json_equal("1", 1)


# -- strategic merge -----------------------------------------------------------------------------------

POD = rules_for("Pod")
NODE = rules_for("Node")


def pod_doc() -> dict[str, Any]:
    return {
        "metadata": {"finalizers": ["a"], "ownerReferences": [{"uid": "u1", "name": "rs"}]},
        "spec": {
            "containers": [
                {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
                {"name": "sidecar", "image": "side:1"},
            ],
            "tolerations": [{"key": "t1"}],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]
        },
    }


def test_strategic_merges_lists_by_key() -> None:
    patch = {
        "spec": {
            "containers": [{"name": "app", "image": "app:2", "env": [{"name": "B", "value": "2"}]}],
            "tolerations": [{"key": "t2"}],
        },
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        "metadata": {"finalizers": ["b", "a"], "ownerReferences": [{"uid": "u2", "name": "other"}]},
    }
    out = apply_strategic_merge_patch(pod_doc(), patch, POD)
    app = out["spec"]["containers"][0]
    assert app["image"] == "app:2"
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert out["spec"]["containers"][1]["name"] == "sidecar"
    assert out["spec"]["tolerations"] == [{"key": "t2"}]  # atomic: replaced
    assert out["status"]["conditions"] == [
        {"type": "Ready", "status": "True"},
        {"type": "Initialized", "status": "True"},
    ]
    assert out["metadata"]["finalizers"] == ["a", "b"]  # primitive set union
    assert [o["uid"] for o in out["metadata"]["ownerReferences"]] == ["u1", "u2"]


def test_strategic_directives() -> None:
    patch = {
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]},
        "spec": {
            "containers": [{"name": "sidecar", "$patch": "delete"}],
            "$setElementOrder/containers": [{"name": "app"}],
            "volumes": [{"name": "data", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}],
        },
    }
    out = apply_strategic_merge_patch(pod_doc(), patch, POD)
    assert out["metadata"]["finalizers"] == []
    assert [c["name"] for c in out["spec"]["containers"]] == ["app"]
    assert out["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/x"}}]


def test_strategic_replace_directives() -> None:
    out = apply_strategic_merge_patch(
        pod_doc(), {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "o:1"}]}}, POD
    )
    assert out["spec"]["containers"] == [{"name": "only", "image": "o:1"}]
    out = apply_strategic_merge_patch(pod_doc(), {"status": {"$patch": "replace", "phase": "Running"}}, POD)
    assert out["status"] == {"phase": "Running"}
    out = apply_strategic_merge_patch(pod_doc(), {"status": {"$patch": "delete"}}, POD)
    assert "status" not in out


def test_node_taints_are_replaced_whole() -> None:
    node = {"spec": {"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "effect": "NoSchedule"}]}}
    out = apply_strategic_merge_patch(
        node, {"spec": {"taints": [{"key": "b", "effect": "NoSchedule"}]}}, NODE
    )
    assert out["spec"]["taints"] == [{"key": "b", "effect": "NoSchedule"}]
    out = apply_strategic_merge_patch(node, {"spec": {"unschedulable": True, "taints": None}}, NODE)
    assert out["spec"] == {"unschedulable": True}


def test_pdb_selector_is_replaced() -> None:
    rules = rules_for("PodDisruptionBudget")
    doc = {"spec": {"selector": {"matchLabels": {"a": "1"}}}}
    out = apply_strategic_merge_patch(doc, {"spec": {"selector": {"matchLabels": {"b": "2"}}}}, rules)
    assert out["spec"]["selector"] == {"matchLabels": {"b": "2"}}


def test_strategic_missing_merge_key() -> None:
    with pytest.raises(StrategicPatchError):
        apply_strategic_merge_patch(pod_doc(), {"spec": {"containers": [{"image": "x"}]}}, POD)
