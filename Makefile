# Set-up and everyday commands. Idempotent: each step skips what is already done.
#   make run    install, fetch + verify models, build the index, start API + UI
#   make test   the test suite (fast fakes + real-model end-to-end tests)
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(HOME)/.local/share/assistant-ia
LLAMA_VERSION := 0.3.36
# llama.cpp is built for this CPU's vector units. AVX-512 (with VNNI/VBMI/BF16) prompt
# processing measured +50% over AVX2 here; AMX is left off (a -march=native build with
# AMX crashed with a general protection fault on this machine). The wheel is cached per
# flavour so a different CPU never gets instructions it lacks.
CPU_FLAGS := $(shell cat /proc/cpuinfo 2>/dev/null | grep -m1 '^flags')
HAS_AVX512 := $(and $(findstring avx512f,$(CPU_FLAGS)),$(findstring avx512_vnni,$(CPU_FLAGS)),$(findstring avx512_vbmi,$(CPU_FLAGS)),$(findstring avx512_bf16,$(CPU_FLAGS)),$(findstring avx_vnni,$(CPU_FLAGS)))
LLAMA_FLAVOUR := $(if $(HAS_AVX512),avx512,avx2)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	$(if $(HAS_AVX512),-DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON)
WHEELS := $(DATA_DIR)/wheels/$(LLAMA_FLAVOUR)
STAMP := $(VENV)/.installed-$(shell (cat requirements.lock pyproject.toml; echo $(LLAMA_FLAVOUR)) 2>/dev/null | sha256sum | cut -c1-12)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run install models index test test-scale bench-scale check test-fast test-browser eval eval-benchmark eval-compare bench soak lint serve clean-index \
	soak-audit fuzz-api eval-attacks

run: install models index
	$(BIN)/assistant serve

serve:
	$(BIN)/assistant serve

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel
	@# torch: the CPU build (a plain or unpinned torch pulls a multi-GB CUDA build)
	$(BIN)/pip install -q torch==2.13.0
	@# every other package: exact pins with sha256 hashes (the lock is a complete freeze, hence --no-deps)
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements.lock
	@# llama-cpp-python compiles from source (~6 min on 2 cores): build once, cache the wheel
	@mkdir -p $(WHEELS)
	@if ! ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "Compilation de llama-cpp-python $(LLAMA_VERSION) ($(LLAMA_FLAVOUR), une seule fois, ~7 min)…"; \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel -q --no-deps --no-cache-dir -w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION); \
	fi
	$(BIN)/pip install -q --no-deps --force-reinstall $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(BIN)/pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

models: install
	$(BIN)/assistant models fetch

index: install models
	$(BIN)/assistant index build

test: install models check
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not browser and not scale"

# Beyond one machine (issue 19): audit, keys, feedback, rate limit, register, conversations against a real PostgreSQL
# (Debian's package, started by the tests in a temp dir on loopback), then two real llama.cpp servers
# behind the API, one killed mid-run (the 0.5B model, under the CPU lock).
test-scale: install models
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q postgresql)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_audit.py tests/test_keys.py tests/test_shared_state.py tests/test_workers.py \
		tests/test_register.py tests/test_register_store.py tests/test_register_crash.py tests/test_register_api.py \
		tests/test_register_cli.py tests/test_conversation.py tests/test_conversation_store.py
	flock /tmp/assistant-cpu.lock $(BIN)/python -m pytest -q -p no:cacheprovider -m scale

# The architecture contract (layers, no import cycle: pyproject.toml [tool.importlinter]) and the types.
check: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# Browser tests: Debian's Chromium driven by playwright-python (no browser download).
test-browser: install
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)
	$(BIN)/pip install -q playwright==1.65.2 greenlet==3.5.6
	$(BIN)/python -m pytest -q -p no:cacheprovider -m browser

test-fast: install
	$(BIN)/python -m pytest -q -m "not model and not slow"

EVAL_OUT ?= eval/runs/dev-$(shell date +%Y%m%d)
eval: install models index
	$(BIN)/assistant eval run --questions eval/questions.jsonl --questions eval/scenarios.jsonl --out $(EVAL_OUT) --with-retrieval --resume

eval-benchmark: install models index
	$(BIN)/assistant eval benchmark --out eval/runs/benchmark-$(shell date +%Y%m%d) --resume

eval-compare:
	$(BIN)/assistant eval compare $(A) $(B)

# Quiz bank for trainers: items built by code from the index, phrased by the LLM, validated (slow: ~10 s/item)
QUIZ_PER_TOPIC ?= 10
.PHONY: quiz-bank
quiz-bank: install models index
	$(BIN)/assistant training bank --per-topic $(QUIZ_PER_TOPIC) --report var/training/bank-report.json

bench: install models index
	$(BIN)/python bench/bench_index.py
	$(BIN)/python bench/bench_answer.py 20

# Answers per minute with 1 and 2 inference servers x 1 and 2 API workers (the ratio counts here).
bench-scale: install models index
	flock /tmp/assistant-cpu.lock $(BIN)/python bench/bench_scale.py

# Issue 8, long variants. Audit trail: 30 SIGKILLs of a real uvicorn (fake models) during requests.
soak-audit: install
	$(BIN)/python bench/audit_soak.py --kills $${KILLS:-30} --out $${OUT:-/tmp/assistant-audit-soak/report.json}

# Schemathesis stateful run with more examples than `make test`.
fuzz-api: install
	ASSISTANT_FUZZ_EXAMPLES=$${EXAMPLES:-200} $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_api_fuzz.py

# Hostile questions with the real models (serialised with other real-model jobs).
ATTACKS_OUT ?= eval/runs/attacks-$(shell date +%Y%m%d)
eval-attacks: install models index
	flock /tmp/assistant-cpu.lock $(BIN)/assistant eval attacks --out $(ATTACKS_OUT)

# Crash safety of the index: SIGKILL index builds at random moments (real corpus, fake embedder,
# temp dirs; the live index/ is not touched) and check nothing is lost. ~15 s per kill.
SOAK_ARGS ?= --kills 60
soak: install
	$(BIN)/python bench/soak_index.py $(SOAK_ARGS)

lint: install
	$(BIN)/ruff check assistant tests bench
	$(BIN)/ruff format --check assistant tests bench

clean-index:
	rm -rf index/gen-* index/CURRENT index/cache
