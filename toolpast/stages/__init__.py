"""The shared kit: what every suite's stages use, and nothing that knows a suite.

The stage runner (`runner`: artifact keys from spec + code, rank-aware), the trainers TRL runs (`sft`, `grpo`,
`training`, `resume`, `snapshots`), the skill-vector stages with their checks (`skill`, `skill_stages`), the K
refinement rounds over disjoint parts (`rounds`), and the small records stages pass around (`model_ref`,
`context`). No module here imports toolpast.tooluse, toolpast.qa or toolenv, lazily or not
(tests/toolpast/stages/test_kit_reaches_no_suite.py): a suite hands the kit its data, configs and stage kinds.
"""
