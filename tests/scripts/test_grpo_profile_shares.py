"""scripts/grpo_profile_shares.py: a py-spy raw profile of a GRPO stage, split into its phases."""


RAW = """\
<module> (toolpast:8);GRPOTrainer._prepare_inputs (trl/grpo_trainer.py:1);GRPOTrainer._generate_and_score_completions (trl/grpo_trainer.py:2);EpisodeRollout.__call__ (toolpast/tooluse/rl.py:3);run_episodes (toolpast/rollout/episodes.py:49);Linear.forward (torch/linear.py:1) 6
<module> (toolpast:8);GRPOTrainer._prepare_inputs (trl/grpo_trainer.py:1);GRPOTrainer._generate_and_score_completions (trl/grpo_trainer.py:2);GRPOTrainer._get_per_token_logps_and_entropies (trl/grpo_trainer.py:3) 2
<module> (toolpast:8);GRPOTrainer.compute_loss (trl/grpo_trainer.py:4);GRPOTrainer._get_per_token_logps_and_entropies (trl/grpo_trainer.py:3) 3
<module> (toolpast:8);Trainer.training_step (transformers/trainer.py:5);Accelerator.backward (accelerate/accelerator.py:6) 8
<module> (toolpast:8);Trainer._save_checkpoint (transformers/trainer.py:7) 1
"""


def test_each_sample_goes_to_its_phase(load_script, tmp_path, capsys):
    (tmp_path / "prof.txt").write_text(RAW)
    assert load_script("grpo_profile_shares").main([str(tmp_path / "prof.txt")]) == 0
    lines = capsys.readouterr().out.splitlines()
    shares = {line[:32].strip(): line[32:].strip() for line in lines[:-1]}
    assert shares == {"loss backward": "40.0%", "rollout": "30.0%", "loss forward": "15.0%",
                      "logprob passes before the loss": "10.0%", "other": "5.0%"}
    assert lines[-1] == "samples: 20"


def test_a_file_without_samples_is_an_error(load_script, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("not a profile\n")
    assert load_script("grpo_profile_shares").main([str(tmp_path / "empty.txt")]) == 2
    assert "no samples" in capsys.readouterr().err
