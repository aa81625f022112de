"""The tool-use suite: PaST on toolenv's tool categories, from source RL to the zero-shot transfer table.

`pipeline` runs one target (`toolpast run`), `sweep` all of them (`toolpast sweep`), both through the stage
builders in `stages` (STAGE_KINDS, what --force takes); `refinement` chains the K source rounds and `variants`
the evaluated models; `data` deals tasks and docs to the stages, `rl` is GRPO with episodes as rollouts, `select`
keeps the best policy, `evaluate` and `knowledge_probe` score a checkpoint, `feasibility` is rung 0, `dry_run`
plans a run through the same builders, `memory_plan` sizes it for GPUs, `shard` splits a sweep. `config` and
`presets` are the suite's settings; `cli` its commands. Built on the shared kit (toolpast.stages) and toolenv.
"""
