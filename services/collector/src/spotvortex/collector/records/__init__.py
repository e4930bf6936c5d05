"""Compact records of the watched objects: what the snapshot needs, parsed once when an object changes.

The index keeps these instead of the API's dictionaries, so 50,000 pods cost a few small objects each and
a snapshot never re-parses a manifest.
"""

from spotvortex.collector.records.common import (
    TERMINAL_PHASES,
    Obj,
    OwnerKey,
    PdbKey,
    PodKey,
    parse_time,
)
from spotvortex.collector.records.nodepools import NodePoolRecord, nodepool_record
from spotvortex.collector.records.nodes import NodeRecord, instance_id_of, node_record
from spotvortex.collector.records.pdbs import PdbRecord, pdb_record
from spotvortex.collector.records.pods import PodRecord, is_terminal, parse_hours, parse_seconds, pod_record

__all__ = [
    "TERMINAL_PHASES",
    "NodePoolRecord",
    "NodeRecord",
    "Obj",
    "OwnerKey",
    "PdbKey",
    "PdbRecord",
    "PodKey",
    "PodRecord",
    "instance_id_of",
    "is_terminal",
    "node_record",
    "nodepool_record",
    "parse_hours",
    "parse_seconds",
    "parse_time",
    "pdb_record",
    "pod_record",
]
