import pytest

from spotvortex.contracts import subjects
from spotvortex.contracts.subjects import MarketKind, PoolKind
from spotvortex.contracts.tokens import TokenError, decode_token, encode_token, validate_cluster_name


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("m5.large", "m5=2Elarge"),
        ("general-purpose", "general-purpose"),
        ("a=b", "a=3Db"),
        ("pool_1", "pool_1"),
        ("x*y>z", "x=2Ay=3Ez"),
        ("zoné", "zon=C3=A9"),
    ],
)
def test_token_encoding_is_reversible_and_subject_safe(raw: str, encoded: str) -> None:
    assert encode_token(raw) == encoded
    assert decode_token(encoded) == raw
    assert not any(c in encoded for c in ".*> ")


@pytest.mark.parametrize("bad", ["m5.large", "a=2", "a=zz", "", "a b"])
def test_decode_rejects_what_the_encoder_cannot_produce(bad: str) -> None:
    with pytest.raises(TokenError):
        decode_token(bad)


def test_encode_rejects_empty() -> None:
    with pytest.raises(TokenError):
        encode_token("")


@pytest.mark.parametrize("name", ["prod", "eu-west-1-a", "c1"])
def test_valid_cluster_names(name: str) -> None:
    assert validate_cluster_name(name) == name


@pytest.mark.parametrize("name", ["Prod", "-a", "a-", "a.b", "market", "", "x" * 64])
def test_invalid_cluster_names_are_refused_with_a_reason(name: str) -> None:
    with pytest.raises(TokenError, match="cluster name"):
        validate_cluster_name(name)


def test_pool_subject_round_trip() -> None:
    subject = subjects.pool("prod", PoolKind.TELEMETRY, "gpu.workers")
    assert subject == "spotvortex.prod.telemetry.gpu=2Eworkers"
    parts = subjects.parse(subject)
    assert (parts.scope, parts.family, parts.pool) == ("prod", "telemetry", "gpu.workers")


def test_market_subject_round_trip() -> None:
    subject = subjects.market("us-east-1", MarketKind.INTERRUPTION)
    assert subject == "spotvortex.market.us-east-1.interruption"
    parts = subjects.parse(subject)
    assert (parts.scope, parts.family, parts.kind) == ("us-east-1", "market", "interruption")


def test_dlq_subject_round_trip() -> None:
    parts = subjects.parse(subjects.dlq("prod", "collector"))
    assert (parts.family, parts.service) == ("dlq", "collector")


@pytest.mark.parametrize(
    "subject",
    [
        "other.prod.telemetry.x",
        "spotvortex.prod.nope.x",
        "spotvortex.market.us-east-1.weather",
        "spotvortex.a.b",
    ],
)
def test_parse_rejects_foreign_subjects(subject: str) -> None:
    with pytest.raises(TokenError):
        subjects.parse(subject)
    assert subjects.family_of(subject) == "other"


def test_region_must_be_one_token() -> None:
    with pytest.raises(TokenError):
        subjects.market("us.east", MarketKind.PRICE)
