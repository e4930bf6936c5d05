"""``AwsEmulator``: Auto Scaling, SQS and EC2 spot prices on one loopback port, told apart by protocol.

A request carrying ``X-Amz-Target: AmazonSQS.*`` is SQS (JSON 1.0); a form post is Query, routed by its
``Version`` (2011-01-01 Auto Scaling, 2016-11-15 EC2). Signatures are not checked, so any credentials
work. Use it as ``async with AwsEmulator(...) as aws:`` and point boto clients at ``aws.url``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType

from aiohttp import web

from ..loopback import LoopbackSite
from . import ec2, sqs, sqs_errors, xml
from .audit import AuditEntry, AuditLog
from .autoscaling import NAMESPACE as ASG_NAMESPACE
from .autoscaling import VERSION as ASG_VERSION
from .autoscaling import AutoScalingApi
from .model import AutoScalingBackend, AwsError, NoAutoScaling, NoSpotPrices, SpotPriceSource, wall_now
from .query import parse_form
from .sqs_store import SqsQueues

log = logging.getLogger(__name__)

_XML = "text/xml"


class AwsEmulator:
    """An AWS endpoint test double (Auto Scaling, SQS, ``DescribeSpotPriceHistory``) over real HTTP.

    Without an Auto Scaling backend the account has no groups: reads list nothing and writes fail as for
    an unknown group. ``queues`` may be shared with a simulator that enqueues events in-process.
    """

    def __init__(
        self,
        *,
        autoscaling: AutoScalingBackend | None = None,
        spot_prices: SpotPriceSource | None = None,
        queues: SqsQueues | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        host: str = "127.0.0.1",
        port: int = 0,
        now: Callable[[], datetime] = wall_now,
    ) -> None:
        if queues is not None and (queues.region, queues.account_id) != (region, account_id):
            raise ValueError(
                f"queues belong to {queues.account_id} in {queues.region}, not {account_id} in {region}"
            )
        self.region = region
        self.account_id = account_id
        self.queues = queues if queues is not None else SqsQueues(region=region, account_id=account_id)
        self.audit = AuditLog()
        self._autoscaling = AutoScalingApi(autoscaling or NoAutoScaling(), region, account_id)
        self._ec2 = ec2.Ec2Api(spot_prices or NoSpotPrices())
        self._sqs = sqs.SqsApi(self.queues)
        self._now = now
        self._site = LoopbackSite("AwsEmulator", host, port)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        return self._site.url

    @property
    def port(self) -> int:
        return self._site.port

    def queue_url(self, name: str) -> str:
        """The URL CreateQueue and GetQueueUrl return for ``name`` when reached at ``url``."""
        return f"{self.url}/{self.account_id}/{name}"

    async def start(self) -> None:
        self._sqs = sqs.SqsApi(self.queues)
        app = web.Application(client_max_size=16 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A client that abandons a long poll must not leave a handler behind to swallow the next message.
        await self._site.start(app, handler_cancellation=True)

    async def stop(self) -> None:
        """Answer parked long polls (empty, as a timed-out poll would), then close the listener."""
        self._sqs.close()
        await self._site.stop()

    async def __aenter__(self) -> AwsEmulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.Response:
        request_id = str(uuid.uuid4())
        target = request.headers.get("X-Amz-Target")
        if target is not None:
            return await self._json(request, target, request_id)
        params = parse_form(await request.text(), request.query_string)
        version = params.get("Version", "")
        action = params.get("Action", "")
        audited = {k: v for k, v in params.items() if k not in ("Action", "Version")}
        if version == ec2.VERSION:
            return self._ec2_call(action, audited, request_id)
        service = "autoscaling" if version == ASG_VERSION else ""
        try:
            if not service:
                raise AwsError(
                    "NoSuchVersion", f"The requested version ({version}) of service is not supported."
                )
            result = self._autoscaling.call(action, params)
        except Exception as error:  # every failure reaches the client in AWS's shape
            failure = _as_aws_error(error)
            body = xml.query_error(
                ASG_NAMESPACE, failure.code, failure.message, failure.sender_fault, request_id
            )
            response = web.Response(status=failure.status, body=body, content_type=_XML)
            return self._finish(response, service, action, audited, request_id, failure)
        body = xml.query_response(action, ASG_NAMESPACE, result, request_id)
        return self._finish(web.Response(body=body, content_type=_XML), service, action, audited, request_id)

    def _ec2_call(self, action: str, params: Mapping[str, str], request_id: str) -> web.Response:
        try:
            result = self._ec2.call(action, params)
        except Exception as error:
            failure = _as_aws_error(error)
            body = xml.ec2_error(failure.code, failure.message, request_id)
            response = web.Response(status=failure.status, body=body, content_type=_XML)
            return self._finish(response, "ec2", action, params, request_id, failure)
        body = xml.ec2_response(action, ec2.NAMESPACE, result, request_id)
        return self._finish(web.Response(body=body, content_type=_XML), "ec2", action, params, request_id)

    async def _json(self, request: web.Request, target: str, request_id: str) -> web.Response:
        operation = target.removeprefix(sqs.TARGET_PREFIX)
        body: object = {}
        try:
            if not target.startswith(sqs.TARGET_PREFIX):
                raise sqs_errors.unknown_operation(target)
            raw = await request.read()
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise sqs_errors.invalid_parameter("The request body must be a JSON object.")
            reply = await self._sqs.call(operation, body, f"{request.scheme}://{request.host}")
        except Exception as error:
            failure = _as_aws_error(error)
            fault = "Sender" if failure.sender_fault else "Receiver"
            payload = {"__type": failure.json_type or failure.code, "message": failure.message}
            response = web.Response(
                status=failure.status,
                body=json.dumps(payload).encode(),
                content_type=sqs.CONTENT_TYPE,
                headers={"x-amzn-query-error": f"{failure.code};{fault}"},
            )
            return self._finish(response, "sqs", operation, _audited(body), request_id, failure)
        response = web.Response(body=json.dumps(reply).encode(), content_type=sqs.CONTENT_TYPE)
        return self._finish(response, "sqs", operation, _audited(body), request_id)

    def _finish(
        self,
        response: web.Response,
        service: str,
        action: str,
        params: Mapping[str, object],
        request_id: str,
        failure: AwsError | None = None,
    ) -> web.Response:
        response.headers["x-amzn-RequestId"] = request_id
        self.audit.record(
            AuditEntry(
                time=self._now(),
                service=service,
                action=action,
                params=dict(params),
                status=response.status,
                error_code=failure.code if failure is not None else None,
            )
        )
        return response


def _audited(body: object) -> Mapping[str, object]:
    return body if isinstance(body, dict) else {}


def _as_aws_error(error: Exception) -> AwsError:
    if isinstance(error, AwsError):
        return error
    log.exception("AWS emulator backend failed")
    return AwsError(
        "InternalFailure", f"The request processing has failed: {error!r}", status=500, sender_fault=False
    )
