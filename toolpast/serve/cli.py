"""`toolpast serve`: a model behind an OpenAI-compatible chat-completions endpoint. toolpast/cli.py asks `register`
to add the command."""

from __future__ import annotations


def cmd_serve(args) -> int:
    from toolpast.serve.server import serve  # torch and the model: only when serving

    return serve(args.model, host=args.host, port=args.port, dtype=args.dtype, verbose=args.verbose,
                 threads=args.threads)


def register(sub) -> None:
    """Add `serve` to the top-level subparsers."""
    srv = sub.add_parser("serve", help="Serve a model behind an OpenAI-compatible chat-completions endpoint (hf).")
    srv.add_argument("--model", default="smollm2-135m-instruct", help="Model spec (default smollm2-135m-instruct).")
    srv.add_argument("--host", default="127.0.0.1", help="Bind address (default loopback; others get a warning).")
    srv.add_argument("--port", type=int, default=8000, help="Port (default 8000; 0 picks a free one and prints it).")
    srv.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32", help="Model dtype.")
    srv.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's; 1 is steadier on a "
                                                 "busy machine).")
    srv.add_argument("--verbose", action="store_true", help="Log every request to stderr.")
    srv.set_defaults(func=cmd_serve)
