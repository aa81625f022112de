"""toolpast: Parametric Skill Transfer (PaST) for tool use.

SFT teaches a model new knowledge (a tool category's API docs), RL teaches it a skill (using that knowledge);
the RL update is a vector `v = theta_rl - theta_sft` that transfers to a model SFT'd on another category:
`theta = theta_sft_target + lambda * v`. This package holds the harness: model provider, stages (SFT, RL,
skill vectors, evaluation), the content-addressed artifact store, leaderboards and the CLI.
"""

__version__ = "0.1.0"
