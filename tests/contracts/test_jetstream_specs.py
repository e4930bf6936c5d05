import fnmatch

from spotvortex.contracts import jetstream, subjects
from spotvortex.contracts.subjects import MarketKind, PoolKind


def _matches(pattern: str, subject: str) -> bool:
    pat, sub = pattern.split("."), subject.split(".")
    for i, token in enumerate(pat):
        if token == ">":
            return len(sub) > i
        if i >= len(sub) or not fnmatch.fnmatchcase(
            sub[i], token.replace("*", "?*") if token == "*" else token
        ):
            return False
    return len(pat) == len(sub)


def test_every_subject_lands_in_exactly_one_stream() -> None:
    streams = jetstream.all_stream_specs("prod")
    sample = [subjects.market("us-east-1", k) for k in MarketKind]
    sample += [subjects.pool("prod", k, "m5.pool") for k in PoolKind]
    sample.append(subjects.dlq("prod", "gates"))
    for subject in sample:
        owners = [s.name for s in streams if any(_matches(p, subject) for p in s.subjects)]
        assert len(owners) == 1, (subject, owners)


def test_every_consumer_filters_inside_its_stream() -> None:
    streams = {s.name: s for s in jetstream.all_stream_specs("prod")}
    for consumers in jetstream.consumer_specs("prod", "us-east-1").values():
        for consumer in consumers:
            stream = streams[consumer.stream]
            for filt in consumer.filter_subjects:
                probe = filt.replace(">", "x.y").replace("*", "p")
                assert any(_matches(p, probe) for p in stream.subjects), (consumer.durable, filt)
            assert len(consumer.backoff_seconds) <= consumer.max_deliver


def test_clusters_do_not_share_streams_or_buckets() -> None:
    a = {s.name for s in jetstream.cluster_stream_specs("a")} | {b.bucket for b in jetstream.kv_specs("a")}
    b = {s.name for s in jetstream.cluster_stream_specs("b")} | {b.bucket for b in jetstream.kv_specs("b")}
    assert not a & b
