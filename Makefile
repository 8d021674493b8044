# Parley: `make run` starts everything, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint format migrations-check train-interaction train-speech bench bench-ws bench-duplex bench-speech bench-speaking bench-lessons bench-client clean-var

install: $(STAMP)

# Re-installs only when requirements.txt changes; pip skips what the venv already has.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -q torch==2.13.0
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

run: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m tutor.stack up

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check: install
	DJANGO_DEBUG=1 $(PY) -m tutor.stack exec --profile test -- $(PY) manage.py makemigrations --check --dry-run

test: install lint
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DJANGO_DEBUG=1 $(PY) -m tutor.stack exec --profile test -- \
		sh -c '$(PY) manage.py makemigrations --check --dry-run && $(PY) -m pytest $(PYTEST_ARGS)'

# Benchmarks print figures; they assert nothing. Each runs under the embedded services (profile "bench").
BENCH := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DJANGO_DEBUG=1 $(PY) -m tutor.stack exec --profile bench --

bench: bench-ws bench-duplex bench-speech bench-speaking bench-lessons bench-client

bench-ws: install
	$(BENCH) sh -c '$(PY) manage.py migrate -v0 && $(PY) manage.py wsbench --frames 500'

bench-duplex: install
	$(BENCH) sh -c '$(PY) manage.py migrate -v0 \
		&& $(PY) manage.py make_duplex_scenarios var/scenarios/eval --set eval --count 24 \
		&& $(PY) manage.py duplexbench var/scenarios/eval --concurrency 2 \
		&& $(PY) manage.py duplexbench var/scenarios/eval --policy learned --concurrency 8'

# Rebuilds tutor/engine/data/interaction.pt from dev scenarios (docs/duplexbench.md, "The interaction model").
TRACE := $(PY) manage.py duplexbench var/scenarios/train --concurrency 4 --record var/traces/train --trace
TRACE_ANSWERS := $(PY) manage.py duplexbench var/scenarios/train-answers --concurrency 4 \
	--record var/traces/train-answers --trace
TRACE_OVERLAP := $(PY) manage.py duplexbench var/scenarios/train-overlap --concurrency 4 \
	--record var/traces/train-overlap --trace
FIRST_KINDS := read,read_with_pause,barge_in,backchannel,echo,timed
train-interaction: install
	rm -rf var/traces/train* var/scenarios/train*
	$(BENCH) sh -c '$(PY) manage.py migrate -v0 \
		&& $(PY) manage.py make_duplex_scenarios var/scenarios/train --set dev --seed 2 --count 60 \
			--kinds $(FIRST_KINDS) \
		&& $(TRACE) --policy expectation > /dev/null && $(TRACE) --policy silence_timeout > /dev/null \
		&& $(PY) -m tutor.engine.train_interaction var/traces/train \
		&& $(TRACE) --policy learned > /dev/null \
		&& $(PY) manage.py make_duplex_scenarios var/scenarios/train-answers --set dev --seed 4 --count 24 \
			--kinds short_answer,answer_with_pause \
		&& $(TRACE_ANSWERS) --policy expectation > /dev/null \
		&& $(TRACE_ANSWERS) --policy silence_timeout > /dev/null \
		&& $(TRACE_ANSWERS) --policy learned > /dev/null \
		&& $(PY) manage.py make_duplex_scenarios var/scenarios/train-overlap --set dev --seed 5 --count 12 \
			--kinds backchannel,echo \
		&& $(TRACE_OVERLAP) --policy expectation > /dev/null \
		&& $(TRACE_OVERLAP) --policy silence_timeout > /dev/null \
		&& $(PY) -m tutor.engine.train_interaction var/traces/train var/traces/train-answers var/traces/train-overlap \
		&& $(TRACE_OVERLAP) --policy learned > /dev/null \
		&& $(PY) -m tutor.engine.train_interaction var/traces/train var/traces/train-answers var/traces/train-overlap'

# Rebuilds speech/data/phone_model.pt and word_model.json (docs/speech-scoring.md, "Calibration and training"),
# then the correction bar in scoring_calibration.json. Needs Debian's flite, festival and festvox-kallpc16k for
# the training voices, and MBROLA's US voices (contrib, non-free: mbrola-us1/2/3, festvox-us1/2/3) for the
# correction bar's held-out readings. Run the tests after it: the fold networks are not byte-reproducible
# (stop 19's rebuilt `full` head missed test_accents.py's "tink"). The shipped model's `full` and `streaming`
# heads are stop 26's, each the mean of three seeds' heads (both also learnt from dev-kokoro, `full` from
# dev-sentences too: the two train_word_model --only steps), and the others stop 17's (train_word_model --only
# retrains some heads; the first train_word_model below retrains all of them).
DEV_CORPORA := var/corpus/dev var/corpus/dev2 var/corpus/dev3 var/corpus/dev4 var/corpus/dev5 var/corpus/dev-accents \
	var/corpus/dev-voices
train-speech: install
	$(BENCH) sh -c 'for seed in 1 2 3 4 5; do out=var/corpus/dev$$seed; [ $$seed = 1 ] && out=var/corpus/dev; \
			test -f $$out/index.json || $(PY) manage.py build_corpus --set dev --seed $$seed --out $$out || exit 1; done \
		&& { test -f var/corpus/dev-accents/index.json \
			|| $(PY) manage.py build_corpus --set dev --seed 6 --out var/corpus/dev-accents --accents-only; } \
		&& { test -f var/corpus/dev-voices/index.json \
			|| $(PY) manage.py build_corpus --set dev --seed 7 --out var/corpus/dev-voices --more-voices; } \
		&& { test -f var/corpus/dev-sentences/index.json || $(PY) manage.py build_corpus --set dev --seed 8 \
			--out var/corpus/dev-sentences --more-sentences --count 720; } \
		&& { test -f var/corpus/dev-kokoro/index.json || $(PY) manage.py build_corpus --set dev --seed 12 \
			--out var/corpus/dev-kokoro --kokoro-voices; } \
		&& $(PY) -m speech.pronunciation.train_phone_model \
		&& $(PY) -m speech.pronunciation.train_whisper_phones \
		&& $(PY) -m speech.pronunciation.train_word_model $(DEV_CORPORA) \
		&& $(PY) -m speech.pronunciation.train_word_model $(DEV_CORPORA) var/corpus/dev-kokoro --only streaming \
		&& $(PY) -m speech.pronunciation.train_word_model $(DEV_CORPORA) var/corpus/dev-sentences var/corpus/dev-kokoro \
			--only full \
		&& { test -f var/corpus/dev-voices2/index.json || $(PY) manage.py build_corpus --set dev --seed 10 \
			--out var/corpus/dev-voices2 --more-voices 2; } \
		&& { test -f var/corpus/dev-mbrola/index.json || $(PY) manage.py build_corpus --set dev --seed 11 \
			--out var/corpus/dev-mbrola --mbrola-voices; } \
		&& $(PY) -m speech.pronunciation.calibrate_corrections var/corpus/dev-voices2 var/corpus/dev-mbrola'

# The eval corpus's Festival voices need Debian's festival, festvox-kdlpc16k and festvox-us-slt-hts (without
# them build_corpus says so and leaves those voices out); the listening benchmark also uses flite if installed.
bench-speech: install
	$(BENCH) sh -c '$(PY) manage.py build_corpus --set eval --seed 1 --out var/corpus/eval \
		&& $(PY) bench/speech_scoring.py --corpus var/corpus/eval \
		&& $(PY) bench/speech_scoring.py --corpus var/corpus/eval --speaker-accents \
		&& $(PY) bench/speech_listening.py'

bench-speaking: install
	$(BENCH) $(PY) bench/speech_speaking.py

bench-lessons: install
	$(BENCH) sh -c '$(PY) manage.py migrate -v0 && $(PY) bench/lessons_pages.py'

bench-client: install
	$(BENCH) sh -c '$(PY) manage.py migrate -v0 && $(PY) bench/client_page.py --runs 5'

clean-var:
	rm -rf var/test var/bench
