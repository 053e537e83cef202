"""The prompt registry: prompts are versioned files in prompts/ named <name>.v<N>.md, each with a
"## system" and a "## user" section ($placeholders). The highest version is used; every draft
records which."""

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
FILE_RE = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)\.md$")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    system: str
    user: str
    sha: str

    @property
    def label(self) -> str:
        return f"{self.name}.v{self.version}"

    def messages(self, **values) -> list[tuple[str, str]]:
        return [
            ("system", Template(self.system).safe_substitute(values)),
            ("human", Template(self.user).safe_substitute(values)),
        ]


def _read(path: Path, name: str, version: int) -> Prompt:
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"^## (system|user)\s*$", text, flags=re.MULTILINE)
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    return Prompt(
        name,
        version,
        sections["system"],
        sections["user"],
        hashlib.sha256(text.encode()).hexdigest()[:12],
    )


@cache
def versions(name: str) -> list[Prompt]:
    found = []
    for path in PROMPT_DIR.glob(f"{name}.v*.md"):
        match = FILE_RE.match(path.name)
        if match and match.group("name") == name:
            found.append(_read(path, name, int(match.group("version"))))
    return sorted(found, key=lambda p: p.version)


def get_prompt(name: str, version: int | None = None) -> Prompt:
    available = versions(name)
    if not available:
        raise LookupError(f"no prompt named {name!r} in {PROMPT_DIR}")
    if version is None:
        return available[-1]
    for prompt in available:
        if prompt.version == version:
            return prompt
    raise LookupError(f"prompt {name!r} has no version {version}")
