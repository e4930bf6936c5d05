"""Judging whether evicted pods came back elsewhere, from the owners' pods before and after."""

from __future__ import annotations

from spotvortex.drainer.reschedule import owners_of, rescheduled, with_baseline

from .support import pod


def test_owners_are_judged_only_when_their_kind_recreates_pods() -> None:
    evicting = [
        pod("web-0", "n1", owner_name="web"),
        pod("web-1", "n1", owner_name="web"),
        pod("db-0", "n1", owner="StatefulSet", owner_name="db"),
        pod("batch-0", "n1", owner="Job"),
        pod("debug", "n1", owner=None),
    ]
    owners = owners_of(evicting)
    assert [(o.kind, o.name) for o in owners] == [("ReplicaSet", "web"), ("StatefulSet", "db")]


def test_an_owner_is_back_once_it_runs_as_many_pods_elsewhere_as_it_ran_before() -> None:
    before = [
        pod("web-0", "n1", owner_name="web"),
        pod("web-1", "n1", owner_name="web"),
        pod("web-2", "n2", owner_name="web"),
        pod("web-3", "n2", owner_name="web", phase="Pending", ready=False),  # was not running: not counted
    ]
    (owner,) = with_baseline(owners_of(before[:2]), before)
    assert owner.running_before == 3

    evicted = [before[2], pod("web-4", "n3", owner_name="web", phase="Pending", ready=False)]
    waiting = rescheduled([owner], evicted, "n1")
    assert not waiting.done
    assert (
        waiting.describe()
        == "1 of 1 owner(s) not rescheduled yet: default/web (ReplicaSet) 1 of 3 Running elsewhere"
    )

    still_on_node = [pod("web-0", "n1", owner_name="web", deleting=True)]  # terminating: not counted
    back = [
        before[2],
        pod("web-4", "n3", owner_name="web"),
        pod("web-5", "n3", owner_name="web"),
        *still_on_node,
    ]
    done = rescheduled([owner], back, "n1")
    assert done.done
    assert done.describe() == "replacements of the evicted pods of 1 owner(s) are Running elsewhere"


def test_nothing_to_judge_says_nothing() -> None:
    result = rescheduled([], [], "n1")
    assert result.done
    assert result.describe() == ""
