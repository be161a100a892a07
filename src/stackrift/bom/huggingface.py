"""Local Hugging Face model folders: model card front matter, config.json, weight headers,
file hashes, and a safety scan of every pickle-based weight file.
"""

from __future__ import annotations

import hashlib
import re
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from stackrift.bom import artefacts
from stackrift.bom._common import IdAllocator, load_json, make_hash, slug
from stackrift.bom.base import BomDocument, Dependency, register_reader
from stackrift.boundedio import read_prefix
from stackrift.errors import InvalidInputError
from stackrift.estate.model import Component, ComponentType, LineageRelation
from stackrift.estate.yamlsource import load_yaml_data

MAX_CARD_BYTES = 1024 * 1024
MAX_CONFIG_BYTES = 16 * 1024 * 1024
MAX_FILES = 10_000
WEIGHT_SUFFIXES = artefacts.PICKLE_SUFFIXES | {".safetensors", ".gguf"}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_CACHE_FOLDER = re.compile(r"^models--([^/]+?)--(.+)$")


def _front_matter(path: Path) -> dict[str, Any]:
    """The card's YAML header, parsed with the safe loader and bounded in size."""
    raw = read_prefix(path, MAX_CARD_BYTES)
    text = raw.decode("utf-8", "replace")
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}
    data = load_yaml_data(match.group(1), str(path), line_offset=1)  # after the '---' line
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInputError.single(path, "model card front matter is not a mapping",
                                       "key: value pairs such as license and base_model", 2, 1)
    return data


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()]
    return []


def _hf_id_of(folder: Path) -> str | None:
    for part in reversed(folder.resolve().parts):
        match = _CACHE_FOLDER.match(part)
        if match:
            return f"{match.group(1)}/{match.group(2)}"
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _sniffed(path: Path) -> bool:
    """Whether a file whose name says nothing holds a pickle, npy, zip or compressed pickle."""
    try:
        with path.open("rb") as stream:
            head = stream.read(artefacts.SNIFF_BYTES)
    except OSError:
        return False
    return artefacts.looks_like_model_file(path, head)


def _relation(value: Any) -> LineageRelation | None:
    text = str(value).strip().lower() if isinstance(value, str) else ""
    aliases = {"finetune": "finetune", "fine-tune": "finetune", "quantized": "quantized",
               "adapter": "adapter", "merge": "merge", "distillation": "distillation"}
    return LineageRelation(aliases[text]) if text in aliases else None


@register_reader
class HuggingFaceFolderReader:
    """A downloaded model folder (or a snapshot in the Hugging Face cache)."""

    format: ClassVar[str] = "huggingface"

    def accepts(self, path: Path, head: bytes) -> bool:
        if path.is_file():
            # A single weight file (known by its name or by its content, since a pickle can be
            # renamed to anything): scanned and hashed like a one-file model folder.
            return (path.suffix.lower() in WEIGHT_SUFFIXES or
                    artefacts.looks_like_model_file(path, head))
        if not path.is_dir():
            return False
        return (path / "config.json").is_file() or (path / "README.md").is_file() or any(
            p.suffix.lower() in WEIGHT_SUFFIXES for p in path.iterdir() if p.is_file())

    def read(self, path: Path) -> BomDocument:
        if path.is_file():
            return self._read(path.parent, [path], path.stem)
        if not path.is_dir():
            raise InvalidInputError.single(path, "not a folder or model file",
                                           "a Hugging Face model folder or a weight file")
        # Stop listing past the limit: pointing at a home folder must fail fast, not crawl it.
        listed = list(islice((p for p in path.rglob("*")
                              if p.is_file() and ".git" not in p.parts), MAX_FILES + 1))
        return self._read(path, sorted(listed), None)

    def _read(self, path: Path, files: list[Path], single: str | None) -> BomDocument:
        if len(files) > MAX_FILES:
            raise InvalidInputError.single(path, f"more than {MAX_FILES} files",
                                           "a single model folder")
        has_card = single is None and (path / "README.md").is_file()
        card = _front_matter(path / "README.md") if has_card else {}
        config: dict[str, Any] = {}
        if single is None and (path / "config.json").is_file():
            if (path / "config.json").stat().st_size > MAX_CONFIG_BYTES:
                raise InvalidInputError.single(path / "config.json", "config.json is too large",
                                               f"at most {MAX_CONFIG_BYTES} bytes")
            loaded = load_json(path / "config.json")
            config = loaded if isinstance(loaded, dict) else {}
        findings: list[artefacts.ArtefactFinding] = []
        hashes = []
        parameters = 0
        gguf_meta: dict[str, Any] = {}
        for file in files:
            suffix = file.suffix.lower()
            if suffix not in WEIGHT_SUFFIXES and single is None and not _sniffed(file):
                continue
            if suffix == ".safetensors":
                header = artefacts.read_safetensors_header(file)
                findings.extend(header.findings)
                parameters += header.parameters
            elif suffix == ".gguf":
                gguf = artefacts.read_gguf_header(file)
                findings.extend(gguf.findings)
                gguf_meta = gguf_meta or gguf.metadata
            else:
                findings.extend(artefacts.scan_pickle_file(file))
            hashes.append(make_hash("SHA-256", _sha256(file)))
        hf_id = _hf_id_of(path)
        name = (hf_id or str(gguf_meta.get("general.name") or "") or single
                or path.resolve().name)
        bases = _strings(card.get("base_model"))
        if not bases and isinstance(gguf_meta.get("general.base_model.0.repo_url"), str):
            bases = _strings(gguf_meta["general.base_model.0.repo_url"].removeprefix(
                "https://huggingface.co/"))
        ids = IdAllocator()
        model_id = ids.take(None, hf_id or slug(single or path.resolve().name))
        licences = _strings(card.get("license")) or _strings(gguf_meta.get("general.license"))
        licence = licences[0] if licences else None
        if licence == "other" and card.get("license_name"):
            licence = str(card["license_name"])
        architectures = _strings(config.get("architectures"))
        model = Component(
            id=model_id, type=ComponentType.MODEL, name=name, hf_id=hf_id,
            base_models=tuple(bases),
            base_model_relation=_relation(card.get("base_model_relation")),
            license=licence, hashes=tuple(sorted(set(hashes), key=lambda h: h.value)),
            description=f"{parameters} parameters in safetensors files" if parameters else None)
        components = [model]
        dataset_ids = []
        for dataset in _strings(card.get("datasets")):
            dataset_id = ids.take(None, f"dataset:{dataset}")
            dataset_ids.append(dataset_id)
            components.append(Component(id=dataset_id, type=ComponentType.DATASET, name=dataset,
                                        hf_id=dataset if "/" in dataset else None))
        dependencies = (Dependency(model_id, tuple(dataset_ids), kind="trained-on"),) \
            if dataset_ids else ()
        card_meta = {"task": card.get("pipeline_tag"),
                     "architectureFamily": config.get("model_type")
                     or gguf_meta.get("general.architecture"),
                     "modelArchitecture": architectures[0] if architectures else None,
                     "source": f"{path.name}/README.md" if card else "config.json"}
        return BomDocument(
            path=str(path), format=self.format, spec_version=None,
            components=tuple(components), dependencies=dependencies,
            metadata={"model_cards": {model_id: card_meta},
                      "library_name": card.get("library_name"),
                      "artefact_findings": findings,
                      "files": [str(f.relative_to(path)) for f in files]})
