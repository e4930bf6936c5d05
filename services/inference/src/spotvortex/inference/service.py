"""The inference adapter: telemetry batches in, risk and proposed actions out.

Every decodable snapshot of one fetch is decided in a single call of the core (one risk-model call, at most one
q-model call); the batch is acked once every event is stored and retried whole if a publish fails. Events carry
fact-derived message ids, so a retried batch, a redelivery or a second replica deciding the same snapshot is
de-duplicated by JetStream. Replicas share one durable and keep nothing between batches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import cast

from spotvortex.contracts import Action, PoolTelemetry, jetstream, subjects
from spotvortex.contracts.subjects import PoolKind
from spotvortex.inference.decide import Outcome, decide_batch
from spotvortex.inference.metrics import InferenceMetrics
from spotvortex.inference.models import load_models
from spotvortex.inference.params import compile_params
from spotvortex.inference.settings import InferenceSettings
from spotvortex.runtime.consumer import Delivery, Subscription, decoder_for
from spotvortex.runtime.service import ServiceContext, Workers


async def build(ctx: ServiceContext) -> Workers:
    settings = cast(InferenceSettings, ctx.settings)
    section = settings.inference
    runtime = section.runtime_config()
    params = compile_params(runtime)
    rl_mode = runtime.policy_mode == "rl"
    models = load_models(
        section.models_dir,
        expected_cloud=section.expected_cloud,
        supported_instance_families=section.supported_instance_families,
        load_rl=rl_mode or runtime.shadow_enabled,
        require_rl=rl_mode,
    )
    metrics = InferenceMetrics.of(ctx.metrics.registry)
    metrics.serving(models)
    cluster = settings.cluster
    (consumer,) = jetstream.consumer_specs(cluster, settings.region)["inference"]
    ctx.log.info(
        "serving %s (%s)%s, policy %s",
        models.risk.version,
        models.risk.kind,
        f" and {models.rl.version}" if models.rl else "",
        runtime.policy_mode,
        extra={"cluster": cluster},
    )

    async def publish(outcome: Outcome) -> None:
        pool = outcome.action.pool
        await ctx.publisher.publish(subjects.pool(cluster, PoolKind.RISK, pool), outcome.risk)
        await ctx.publisher.publish(subjects.pool(cluster, PoolKind.ACTION, pool), outcome.action)

    async def on_batch(items: list[tuple[PoolTelemetry, Delivery]]) -> None:
        started = time.perf_counter()
        outcomes = decide_batch([telemetry for telemetry, _ in items], ctx.clock.now(), params, models)
        metrics.batch(len(items), time.perf_counter() - started)
        await asyncio.gather(*(publish(o) for o in outcomes))
        for outcome in outcomes:
            metrics.outcome(outcome)
            proposal = outcome.action
            ctx.log.log(
                logging.DEBUG if proposal.action is Action.HOLD else logging.INFO,
                "%s %s (%s, %s, confidence %.2f)",
                proposal.pool,
                proposal.action.value,
                proposal.reason,
                proposal.policy.value,
                proposal.confidence,
                extra={"cluster": cluster, "pool": proposal.pool, "decision_id": proposal.decision_id},
            )

    return Workers(
        subscriptions=[
            Subscription(consumer=consumer, decoder=decoder_for(PoolTelemetry), batch_handler=on_batch)
        ]
    )
