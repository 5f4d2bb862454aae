"""The environment a step ran in: Python, OS, accelerator, libraries, and a fingerprint.

The fingerprint is the sha256 of every installed distribution as ``name==version`` (names
normalized as PEP 503 does, one per name: the first on ``sys.path`` wins, as it does on import),
sorted, one per line. Two runs with the same fingerprint ran on the same distributions;
installing, removing, upgrading or downgrading any one changes it. The list is read once per
process from the ``.dist-info``/``.egg-info`` folder names on ``sys.path`` (a few milliseconds;
``importlib.metadata`` would parse every ``METADATA`` file), because the OpenLineage provider
builds each event in a freshly forked process with a 10 s budget.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.metadata import PathDistribution
from pathlib import Path

from llm_lineage.common.versions import package_version
from llm_lineage.facets import Accelerator, LlmLineageEnvironmentRunFacet, SourceCodeState
from llm_lineage.facets.base import DISTRIBUTION

_METADATA_DIR = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+?)(-py[^-]*)?\.(dist|egg)-info$")
_NVIDIA = Path("/proc/driver/nvidia")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def scan_distributions(paths: Iterable[str]) -> dict[str, str]:
    """``name -> version`` of the distributions installed on ``paths`` (first one wins)."""
    found: dict[str, str] = {}
    for entry in paths:
        try:
            names = sorted(os.listdir(entry or "."))  # noqa: PTH208  # names only: cheaper
        except OSError:
            continue
        for folder in names:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            match = _METADATA_DIR.match(folder)
            if match:
                name, version = match["name"], match["version"]
            else:  # an old egg-info without the version in its name
                dist = PathDistribution(Path(entry or ".", folder))
                name, version = dist.metadata["Name"] or "", dist.version or ""
            if name:
                found.setdefault(normalized(name), version)
    return found


def fingerprint(distributions: Mapping[str, str]) -> str:
    lines = sorted(f"{name}=={version}" for name, version in distributions.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@cache
def installed() -> tuple[tuple[tuple[str, str], ...], str]:
    """This process's distributions (sorted) and their fingerprint; computed once."""
    found = scan_distributions(sys.path)
    return tuple(sorted(found.items())), fingerprint(found)


def accelerator() -> Accelerator | None:
    """The CUDA devices, from torch when a step already loaded it, else from the driver's /proc.

    Never imports torch (seconds, and a CUDA context) for this.
    """
    torch = sys.modules.get("torch")
    driver = _driver_version()
    if torch is not None:
        try:
            if torch.cuda.is_available():
                count = torch.cuda.device_count()
                return Accelerator(
                    kind="cuda",
                    deviceCount=count,
                    deviceName=torch.cuda.get_device_name(0) if count else None,
                    driverVersion=driver,
                    cudaVersion=torch.version.cuda,
                )
        except Exception:  # a broken driver is the step's concern, not the lineage's
            pass
    names = _proc_gpu_names()
    if not names:
        return None
    return Accelerator(
        kind="cuda", deviceCount=len(names), deviceName=names[0], driverVersion=driver
    )


def _driver_version() -> str | None:
    try:
        text = (_NVIDIA / "version").read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r"Kernel Module\s+(?:for \S+\s+)?([0-9.]+)", text)
    return match[1] if match else None


def _proc_gpu_names() -> list[str]:
    names = []
    try:
        gpus = sorted((_NVIDIA / "gpus").iterdir())
    except OSError:
        return []
    for gpu in gpus:
        try:
            text = (gpu / "information").read_text(errors="replace")
        except OSError:
            continue
        match = re.search(r"^Model:\s*(.+)$", text, re.MULTILINE)
        names.append(match[1].strip() if match else "unknown")
    return names


def environment_facet(
    libraries: Iterable[str], source_code: SourceCodeState | None = None
) -> LlmLineageEnvironmentRunFacet:
    """The environment facet of a step that used ``libraries`` (distribution names)."""
    distributions, digest = installed()
    return LlmLineageEnvironmentRunFacet(
        pythonVersion=platform.python_version(),
        pythonImplementation=platform.python_implementation(),
        os=platform.system(),
        osRelease=platform.release(),
        architecture=platform.machine(),
        providerVersion=package_version(DISTRIBUTION),
        fingerprint=digest,
        distributionCount=len(distributions),
        libraries={name: package_version(name) for name in sorted(set(libraries))},
        accelerator=accelerator(),
        sourceCode=source_code,
    )
