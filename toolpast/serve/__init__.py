"""`toolpast serve`: the hf backend behind an OpenAI-compatible chat-completions endpoint on loopback, so that any
client (and toolpast's own `openai` rollout backend) can talk to a local model.

The names below are imported on first use: the engine imports torch (seconds), and `toolpast` imports this
package's command module (toolpast.serve.cli) on every call to offer the `serve` command.
"""

from __future__ import annotations

from toolpast.lazy_exports import lazy_exports

_EXPORTS = {
    "ChatApp": "toolpast.serve.app",
    "ChatServer": "toolpast.serve.server",
    "HFChatEngine": "toolpast.serve.engine",
    "serve": "toolpast.serve.server",
}
__all__ = ["ChatApp", "ChatServer", "HFChatEngine", "serve"]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
