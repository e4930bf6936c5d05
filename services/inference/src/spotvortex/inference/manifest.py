"""The model manifest (schema ``v1``, upstream-spec §8.4) and the checks that must pass before anything is served.

Every file the service loads is named in ``artifacts`` with its SHA-256, and the bytes that are hashed are the
bytes handed to onnxruntime (models are built from memory, so a file cannot change between check and use, and a
model cannot pull in an external-data file the manifest does not list: upstream-spec §11 item 31). Any mismatch,
missing file, missing entry or foreign cloud is a :class:`ManifestError` and the service does not start.

Manifest shape (extra keys are allowed, so an entry can say what its model is)::

    {"schema_version": "v1", "cloud": "aws", "supported_instance_families": ["m5", "c6i.*", ...],
     "artifacts": {"risk_model.onnx": {"path": "risk_model.onnx", "sha256": "…", "role": "risk",
                                       "version": "…", "kind": "logistic-placeholder",
                                       "external_data": []}, …}}

``role`` is ``risk`` (required), ``rl`` (optional) or ``external-data``; ``external_data`` lists the artifact
names of a model's external-data files. ``models`` is read as an alias of ``artifacts`` and
``model_scope.{cloud,supported_instance_families}`` as a fallback for the top-level keys, as before.

The earlier implementation's manifests (upstream-spec §8.4) carry no ``role`` and no ``external_data``, and they
are still accepted so its bundle can be served and compared. When *no* entry declares a role, roles are inferred
from the names (``*.data`` → external-data, ``rl_policy.onnx`` → rl, a ``.onnx`` name containing ``tft`` →
risk), and a model's external data is what its graph refers to, each reference looked up by full normalised path
or basename as the earlier agent did. The earlier bundle's rl graph refers to
``rl_value_dense_q90_strict_seed42.onnx.data`` (a symlink to ``rl_policy.onnx.data`` there, which verified it
only indirectly): here the referenced file's own entry is verified and its bytes are the ones handed over. A
``<model>.data`` sidecar on disk without an entry is refused, as upstream did. Inference is all-or-nothing so
that a current manifest never has a stray entry silently promoted to a model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

MANIFEST_NAME = "MODEL_MANIFEST.json"
RISK = "risk"
RL = "rl"
EXTERNAL_DATA = "external-data"


class ManifestError(Exception):
    """The models cannot be trusted or found; the message says what to fix."""


class ArtifactEntry(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    sha256: str
    role: str | None = None
    version: str | None = None
    kind: str | None = None
    external_data: tuple[str, ...] = ()


class ModelScope(msgspec.Struct, frozen=True, kw_only=True):
    cloud: str | None = None
    supported_instance_families: tuple[str, ...] | None = None


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    schema_version: Literal["v1"]
    generated_at: str | None = None
    cloud: str | None = None
    supported_instance_families: tuple[str, ...] | None = None
    model_scope: ModelScope | None = None
    artifacts: dict[str, ArtifactEntry] = {}
    models: dict[str, ArtifactEntry] = {}

    @property
    def entries(self) -> dict[str, ArtifactEntry]:
        return {**self.models, **self.artifacts}

    @property
    def model_cloud(self) -> str:
        scope = self.model_scope or ModelScope()
        return (self.cloud or scope.cloud or "").strip().lower()

    @property
    def families(self) -> tuple[str, ...]:
        scope = self.model_scope or ModelScope()
        found = self.supported_instance_families
        return found if found is not None else scope.supported_instance_families or ()


@dataclass(frozen=True)
class VerifiedModel:
    """A model's bytes and its external-data files' bytes (by the name the model refers to them), all verified."""

    name: str
    entry: ArtifactEntry
    data: bytes
    external: dict[str, bytes]

    @property
    def version(self) -> str:
        return self.entry.version or f"{self.name}+sha256:{self.entry.sha256[:12]}"


@dataclass(frozen=True)
class VerifiedBundle:
    manifest: Manifest
    directory: Path
    risk: VerifiedModel
    rl: VerifiedModel | None


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(
            f"models: no {MANIFEST_NAME} in {directory}; set inference.models_dir "
            "(SPOTVORTEX_INFERENCE__MODELS_DIR) to the folder holding the models and their manifest"
        ) from None
    try:
        return msgspec.json.decode(raw, type=Manifest)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise ManifestError(f"models: {path} is not a v1 model manifest: {err}") from None


def _normalised_sha(value: str) -> str:
    value = value.strip().lower()
    return value.removeprefix("sha256:")


def _read_verified(directory: Path, name: str, entry: ArtifactEntry) -> bytes:
    root = directory.resolve()
    path = (root / entry.path).resolve()
    if not path.is_relative_to(root):
        raise ManifestError(f"models: artifact {name!r} points outside the models folder ({entry.path})")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(
            f"models: artifact {name!r} is listed in {MANIFEST_NAME} but {path} is missing"
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    expected = _normalised_sha(entry.sha256)
    if actual != expected:
        raise ManifestError(
            f"models: {entry.path} does not match {MANIFEST_NAME} (sha256 {actual}, manifest says {expected}); "
            "refusing to serve an unverified model: restore the file or rebuild the models and their manifest"
        )
    return data


def _lookup_key(name: str) -> str:
    """Upstream-spec §8.4's normalisation: lower case, ``./`` and leading slashes stripped."""
    key = name.strip().replace("\\", "/").lower()
    while key.startswith("./"):
        key = key[2:]
    return key.lstrip("/")


def _basename(name: str) -> str:
    return _lookup_key(name).rsplit("/", 1)[-1]


def inferred_role(name: str, entry: ArtifactEntry) -> str | None:
    """The role of an entry of a manifest that declares none (the earlier implementation's)."""
    base = _basename(entry.path or name)
    if base.endswith(".data"):
        return EXTERNAL_DATA
    if base == "rl_policy.onnx":
        return RL
    if base.endswith(".onnx") and "tft" in base:
        return RISK
    return None


def roles_of(manifest: Manifest) -> dict[str, str | None]:
    """Each entry's role: as declared, or inferred when no entry declares one."""
    entries = manifest.entries
    if any(e.role is not None for e in entries.values()):
        return {name: e.role for name, e in entries.items()}
    return {name: inferred_role(name, e) for name, e in entries.items()}


def _find_entry(entries: dict[str, ArtifactEntry], ref: str) -> str | None:
    """The entry a file name refers to: by full normalised path or name first, then by basename."""
    key = _lookup_key(ref)
    for name, entry in sorted(entries.items()):
        if key in (_lookup_key(name), _lookup_key(entry.path)):
            return name
    base = _basename(ref)
    for name, entry in sorted(entries.items()):
        if base in (_basename(name), _basename(entry.path)):
            return name
    return None


_LOCATION = b"\n\x08location\x12"  # StringStringEntryProto{key: "location", value: …} on the wire


def external_references(model: bytes) -> tuple[str, ...]:
    """The external-data file names an ONNX model refers to (its tensors' ``location`` entries).

    Read from the protobuf wire format directly so the service needs no ``onnx`` package. A false match would
    need a string holding that exact byte sequence and could only make loading fail (a reference without a
    manifest entry), never let an unlisted file in: onnxruntime is only ever given verified bytes.
    """
    found: dict[str, None] = {}
    start = model.find(_LOCATION)
    while start >= 0:
        at = start + len(_LOCATION)
        length, shift = 0, 0
        while at < len(model) and shift < 35:
            byte = model[at]
            at += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        raw = model[at : at + length]
        if 0 < length == len(raw):
            found.setdefault(raw.decode("utf-8", "replace"), None)
        start = model.find(_LOCATION, start + 1)
    return tuple(found)


def _one_role(
    entries: dict[str, ArtifactEntry], roles: dict[str, str | None], role: str
) -> tuple[str, ArtifactEntry] | None:
    found = [(name, e) for name, e in sorted(entries.items()) if roles.get(name) == role]
    if len(found) > 1:
        raise ManifestError(
            f"models: {MANIFEST_NAME} lists {len(found)} artifacts with role {role!r}; one is allowed"
        )
    return found[0] if found else None


def verify(
    directory: str | Path, *, expected_cloud: str | None = "aws", require_rl: bool = False
) -> VerifiedBundle:
    """Read the manifest in ``directory``, check every artifact it lists and the cloud, and return the bytes.

    ``expected_cloud`` empty or ``None`` skips the cloud check; ``require_rl`` makes a missing rl model an error.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    entries = manifest.entries
    if not entries:
        raise ManifestError(f"models: {MANIFEST_NAME} in {directory} lists no artifacts")
    cloud = (expected_cloud or "").strip().lower()
    if cloud and manifest.model_cloud and cloud != manifest.model_cloud:
        raise ManifestError(
            f"models: the manifest's models are for cloud {manifest.model_cloud!r} but this service expects "
            f"{cloud!r} (inference.expected_cloud); use models built for {cloud!r}"
        )
    blobs = {name: _read_verified(directory, name, entry) for name, entry in sorted(entries.items())}
    roles = roles_of(manifest)
    inferred = all(e.role is None for e in entries.values())

    def referenced(name: str, entry: ArtifactEntry) -> dict[str, bytes]:
        """External data of a model in a manifest without roles: what its graph refers to, under that name."""
        sidecar = f"{entry.path}.data"
        if (directory / sidecar).is_file() and _find_entry(entries, sidecar) is None:
            raise ManifestError(
                f"models: {sidecar} lies beside {entry.path} but has no entry in {MANIFEST_NAME}; "
                "refusing to serve an unverified model"
            )
        external: dict[str, bytes] = {}
        for ref in external_references(blobs[name]):
            listed = _find_entry(entries, ref)
            if listed is None:
                raise ManifestError(
                    f"models: {name} refers to external data {ref!r}, which has no entry in {MANIFEST_NAME}"
                )
            external[ref] = blobs[listed]
        return external

    def model(role: str) -> VerifiedModel | None:
        found = _one_role(entries, roles, role)
        if found is None:
            return None
        name, entry = found
        external: dict[str, bytes] = {}
        if inferred and not entry.external_data:
            external = referenced(name, entry)
        for ref in entry.external_data:
            if ref not in entries:
                raise ManifestError(
                    f"models: {name} names external data {ref!r}, which has no entry in {MANIFEST_NAME}"
                )
            external[entries[ref].path] = blobs[ref]
        return VerifiedModel(name=name, entry=entry, data=blobs[name], external=external)

    risk = model(RISK)
    if risk is None:
        raise ManifestError(f"models: {MANIFEST_NAME} in {directory} has no artifact with role 'risk'")
    rl = model(RL)
    if rl is None and require_rl:
        raise ManifestError(
            f"models: policy_mode rl needs an artifact with role 'rl' in {MANIFEST_NAME} ({directory})"
        )
    return VerifiedBundle(manifest=manifest, directory=directory, risk=risk, rl=rl)
