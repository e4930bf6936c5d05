"""SQS errors as the JSON-protocol service sends them: a new shape name plus the Query-era code.

SQS moved from Query to JSON keeping its old codes in an ``x-amzn-query-error`` header; botocore shows that
code (``AWS.SimpleQueueService.NonExistentQueue``) and maps the shape name to ``client.exceptions``. Each
constructor below pairs the two exactly as the live service does.
"""

from __future__ import annotations

from .model import AwsError

_SQS = "com.amazonaws.sqs#"
_LEGACY = "AWS.SimpleQueueService."


def queue_does_not_exist() -> AwsError:
    return AwsError(
        _LEGACY + "NonExistentQueue",
        "The specified queue does not exist.",
        json_type=_SQS + "QueueDoesNotExist",
    )


def queue_name_exists(name: str) -> AwsError:
    return AwsError(
        "QueueAlreadyExists",
        f"A queue already exists with the same name and a different value for attribute(s) of queue {name}.",
        json_type=_SQS + "QueueNameExists",
    )


def receipt_handle_invalid(handle: str) -> AwsError:
    return AwsError(
        "ReceiptHandleIsInvalid",
        f'The input receipt handle "{handle}" is not a valid receipt handle.',
        json_type=_SQS + "ReceiptHandleIsInvalid",
    )


def message_not_inflight() -> AwsError:
    return AwsError(
        _LEGACY + "MessageNotInflight", "Message is not in flight.", json_type=_SQS + "MessageNotInflight"
    )


def invalid_parameter(message: str) -> AwsError:
    return AwsError(
        "InvalidParameterValue", message, json_type="com.amazon.coral.service#InvalidParameterValueException"
    )


def invalid_attribute_name(name: str) -> AwsError:
    return AwsError(
        "InvalidAttributeName", f"Unknown Attribute {name}.", json_type=_SQS + "InvalidAttributeName"
    )


def invalid_address(url: str) -> AwsError:
    return AwsError(
        "InvalidAddress",
        f"The address {url} is not valid for this endpoint.",
        json_type=_SQS + "InvalidAddress",
    )


def missing_parameter(name: str) -> AwsError:
    return AwsError(
        "MissingParameter",
        f"The request must contain the parameter {name}.",
        json_type="com.amazon.coral.service#MissingParameterException",
    )


def purge_in_progress(name: str) -> AwsError:
    return AwsError(
        _LEGACY + "PurgeQueueInProgress",
        f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.",
        json_type=_SQS + "PurgeQueueInProgress",
    )


def unsupported(message: str) -> AwsError:
    return AwsError(_LEGACY + "UnsupportedOperation", message, json_type=_SQS + "UnsupportedOperation")


def empty_batch(entry_shape: str) -> AwsError:
    return AwsError(
        _LEGACY + "EmptyBatchRequest",
        f"There should be at least one {entry_shape} in the request.",
        json_type=_SQS + "EmptyBatchRequest",
    )


def too_many_entries(count: int) -> AwsError:
    return AwsError(
        _LEGACY + "TooManyEntriesInBatchRequest",
        f"Maximum number of entries per request are 10. You have sent {count}.",
        json_type=_SQS + "TooManyEntriesInBatchRequest",
    )


def batch_ids_not_distinct(entry_id: str) -> AwsError:
    return AwsError(
        _LEGACY + "BatchEntryIdsNotDistinct",
        f"Id {entry_id} repeated.",
        json_type=_SQS + "BatchEntryIdsNotDistinct",
    )


def invalid_batch_entry_id() -> AwsError:
    return AwsError(
        _LEGACY + "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
        "It can be at most 80 letters long.",
        json_type=_SQS + "InvalidBatchEntryId",
    )


def unknown_operation(target: str) -> AwsError:
    return AwsError(
        "UnknownOperationException",
        f"Unknown operation {target}",
        json_type="com.amazon.coral.service#UnknownOperationException",
    )


def invalid_attribute_value(name: str) -> AwsError:
    return AwsError(
        "InvalidAttributeValue",
        f"Invalid value for the parameter {name}.",
        json_type=_SQS + "InvalidAttributeValue",
    )


def invalid_message_contents() -> AwsError:
    return AwsError(
        "InvalidMessageContents",
        "Invalid characters found in the message body.",
        json_type=_SQS + "InvalidMessageContents",
    )
