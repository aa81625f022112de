"""The options of the ``stabletoolbench`` suite: where the data is and how APIs answer.

Options travel inside every task (``Task.source``), so an episode rebuilds the same
simulator in any process. They hold no secrets: the endpoint's key is read from the
environment variable named by ``api_key_env`` when a call is made.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Mode", "SuiteOptions", "default_data_dir", "default_cache_dir", "SUITE"]

SUITE = "stabletoolbench"
Mode = Literal["mock", "replay", "llm"]
_REPO = Path(__file__).resolve().parents[2]


def default_data_dir() -> Path:
    """``$TOOLENV_TOOLBENCH_DATA``, else ``<repo root>/../shared/data/stabletoolbench``."""
    env = os.environ.get("TOOLENV_TOOLBENCH_DATA")
    return Path(env) if env else _REPO.parent / "shared" / "data" / "stabletoolbench"


def default_cache_dir() -> Path:
    """``$TOOLENV_TOOLBENCH_CACHE``, else ``~/.cache/toolenv/stabletoolbench`` (llm mode writes here)."""
    env = os.environ.get("TOOLENV_TOOLBENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "toolenv" / "stabletoolbench"


class SuiteOptions(BaseModel):
    """Everything that fixes a ToolBench category's data and API responses (besides the seed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: str = Field(description="Query files: a folder, its test_instruction/ subfolder, or one file.")
    tools_dir: str | None = Field(None, description="ToolBench's toolenv/tools folder (<Category>/<tool>.json).")
    groups: tuple[str, ...] | None = Field(None, description="Query-file stems to load; None loads all.")
    mode: Mode = Field("mock", description="mock: from template_response; replay: a response cache; llm: endpoint.")
    cache_dir: str | None = Field(None, description="Response cache (<category>/<tool>/<api>.json).")
    on_miss: Literal["error", "mock"] = Field("error", description="replay: what a call missing from the cache gets.")
    endpoint: str | None = Field(None, description="llm: base URL of an OpenAI-compatible endpoint.")
    model: str = Field("gpt-4o-mini", description="llm: the model that simulates responses.")
    api_key_env: str = Field("OPENAI_API_KEY", description="llm: environment variable holding the endpoint key.")

    @classmethod
    def build(cls, data_dir: str | Path | None = None, tools_dir: str | Path | None = None,
              cache_dir: str | Path | None = None, **rest: object) -> SuiteOptions:
        """Options with absolute paths and the documented defaults filled in."""
        mode = rest.get("mode", "mock")
        if cache_dir is None and mode == "llm":
            cache_dir = default_cache_dir()
        if cache_dir is None and mode == "replay":
            env = os.environ.get("TOOLENV_TOOLBENCH_CACHE")
            if not env:
                raise ValueError("replay mode needs cache_dir (StableToolBench's tool_response_cache folder) "
                                 "or $TOOLENV_TOOLBENCH_CACHE")
            cache_dir = env
        if mode == "llm" and rest.get("endpoint") is None and os.environ.get("TOOLENV_TOOLBENCH_ENDPOINT"):
            rest["endpoint"] = os.environ["TOOLENV_TOOLBENCH_ENDPOINT"]

        def absolute(p: str | Path | None) -> str | None:
            return None if p is None else str(Path(p).expanduser().resolve())

        return cls(data_dir=absolute(data_dir or default_data_dir()), tools_dir=absolute(tools_dir),
                   cache_dir=absolute(cache_dir), **rest)
