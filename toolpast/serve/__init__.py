"""`toolpast serve`: the hf backend behind an OpenAI-compatible chat-completions endpoint on loopback, so that any
client (and toolpast's own `openai` rollout backend) can talk to a local model."""

from toolpast.serve.app import ChatApp
from toolpast.serve.engine import HFChatEngine
from toolpast.serve.server import ChatServer, serve

__all__ = ["ChatApp", "ChatServer", "HFChatEngine", "serve"]
