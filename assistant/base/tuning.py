"""Every tuned number of retrieval, answers, assessment and quiz, in one place, with where it comes from.

Each number names the evaluation run or measurement that set it: a report under
eval/reports/, or the figure a commit message quotes (`git show <sha>`). Where nothing was
measured it says « not measured: initial choice (commit <sha>) ». A figure quoted for a commit
belongs to the whole commit, not to this number alone, unless the comment says otherwise.

Changing a number here changes answers, assessments or quiz items: rerun the dev-set
evaluation (`assistant eval run`), the French scenario set and the attack run, and quote the
figures before and after in the commit message.

Not here: the numbers that shape the index (chunk size in ingest/chunk.py, BM25 k1/b in
search/lexical.py), because changing them needs a new chunker version and index generation;
input limits of the contract (question and description lengths); the law tables.
"""

from __future__ import annotations

# ------------------------------------------------------------------ retrieval (search/retrieve.py)
# Weighted reciprocal-rank fusion of dense and BM25 ranks, then bounded boosts.

# 1/(RRF_K + rank). Was 20 (f6fcbe9); 10 in 652c956: dev recall@5 0.84 -> 0.94 with the bounded boosts below.
RRF_K = 10
W_DENSE = 1.0  # not measured: initial choice (commit f6fcbe9), dense and BM25 weighed alike
W_BM25 = 1.0  # not measured: initial choice (commit f6fcbe9)
# A provision the question names ("article 26", "annexe III", "défi 6") is boosted, not pinned
# (LESSONS.md 10), and only its NAMED_SLOTS best passages get the boost. Was 1.5 on every
# passage of the provision (f6fcbe9); 1.0 on 3 slots in 652c956, dev recall@5 0.84 -> 0.94.
W_LOOKUP = 1.0
NAMED_SLOTS = 3
# Topic boost (search/thesaurus.py): 0.8 in 652c956 (same run as above); one slot per target
# provision in e938ec3 (was 2), dev recall@5 0.938 -> 0.941 with the English glossary words.
W_TOPIC = 0.8
TOPIC_SLOTS = 1
# Recitals paraphrase the articles and outrank them (LESSONS.md 1, measured on a generic RAG).
RECITAL_FACTOR = 0.6  # not measured: initial choice (commit f6fcbe9)

# ------------------------------------------------------------------ abstention (answer/compose.py)

ANSWER_HITS = 8  # passages retrieved per question; not measured: initial choice (commit a5fa032)
# Cosine similarity of the best passage: below `floor` nothing in the texts is about the
# question (abstain without calling the model); above `strong` the texts clearly address it,
# whatever the model says. Set in a5fa032 « calibrated on eval/questions.jsonl », but no
# calibration run or figure is recorded. The dev runs measured with these values:
# eval/reports/2026-11-27-summary.md (correct abstention 0.600, wrong abstention 0.031) and
# 2026-11-27c-summary.md (0.933 / 0.004, after scope.py). "fake" is the tests' embedder:
# not measured: initial choice (commit a5fa032).
CALIBRATION = {"embeddinggemma": (0.42, 0.58), "fake": (0.2, 0.6)}
# Weak dense evidence but a strong lexical match (the texts use other words than the question:
# "notation sociale" / "note sociale"): the model is asked, and answers only if it finds the
# answer in the passages. 6119a87: EmbeddingGemma scored 0.2-0.3 between « notation sociale »
# questions and art. 5(1)(c) and the end-to-end test abstained; dev recall@5 0.941 -> 0.949
# with the concept index of the same commit. The two values were not swept.
HARD_FLOOR = 0.30
BM25_RESCUE = 10.0
# Passages in which a question's value (amount, rate, count, name) is looked for (scope.py).
# 1637966: dev extractive correctness 0.766 -> 0.852, abstention 0.50 -> 0.93 for scope.py as a whole.
SCOPE_PASSAGES = 5

# ------------------------------------------------------------------ evidence and prompt (answer/compose.py)

MAX_MAIN = 3  # main passages quoted; not measured: initial choice (commit a5fa032)
MAX_AMEND = 2  # amending points quoted; not measured: initial choice (commit a5fa032)
MIN_CITED = 3  # passages always shown; not measured: set in commit 78c8a29 (« three cited passages »)
QUOTE_CHARS = 800  # was 450 (a5fa032); not measured: set in commit 78c8a29 (« longer quotes »)
# The best passage is quoted more fully: its conditions and exceptions are the answer.
# 1637966: dev extractive correctness 0.766 -> 0.852 with scope.py and schedule.py.
TOP_QUOTE_CHARS = 1400
AMEND_QUOTE_CHARS = 1200  # amending points quote the new, often long, wording; not measured: set in commit 6a11e5c
# The other points of an enumeration, for list questions. 6bcf65e: extractive-only dev
# correctness 0.66 -> 0.76 for the feature; the two limits were not swept.
MAX_SIBLINGS = 10
# Set answers (answer/sets.py), issue 15: at most SET_MAX_ITEMS lines (art. 16 has 12 points,
# the public deployer's list 13); a gloss of SET_GLOSS_CHARS keeps the list part of the
# longest list under ~2,500 characters (13 × (gloss + label + marker) ≈ 2,100); each item's
# quote is its first SET_QUOTE_CHARS characters, the lead-in quoted with the first point
# only when shorter than SET_LEAD_CHARS. Not measured: initial choice (issue 15), the
# median answer length of the set dev set is quoted in the branch's report.
SET_MAX_ITEMS = 14
SET_GLOSS_CHARS = 110
SET_QUOTE_CHARS = 320
SET_LEAD_CHARS = 330
SIBLING_CHARS = 400
# The model's prompt: every context token costs ~14 ms before the first token on 2 cores
# (LESSONS.md 12). 520 chars and 160 tokens (a5fa032) -> 420 chars, 4 passages, 110 tokens
# (e938ec3) -> 90 tokens (9ccebb3); no figure isolates them. Prompt p50 710 tokens in
# eval/reports/2026-11-27-summary.md.
PROMPT_CHARS = 420
MAX_PROMPT_PASSAGES = 4
ANSWER_MAX_TOKENS = 90

# ------------------------------------------------------------------ support check (answer/cite.py)
# Share of a model sentence's content words (and all its figures) that must be in its cited
# passages: the one check (`cite.is_supported`) of answers, assessment summaries, quiz options
# and the evaluation's citation precision. 0.5 until 9ccebb3, raised to 0.75 there: « a
# paraphrase with invented details was passing at 50% » (one observed answer, no sweep). The
# assessment (d8e2afe) and the quiz (974cbc9) took the same value; the evaluation kept 0.5
# (6bcf65e) until it used this check.
SUPPORT_MIN = 0.75

# ------------------------------------------------------------------ assessment (assess/assessor.py)

# 18 enum fields: ~200 tokens of JSON (an estimate, not a count).
FACT_TOKENS = 320  # not measured: initial choice (commit d8e2afe)
# Targeted art. 5 questions (issue 14): the clauses of the description offered as the passage that
# supports a « oui » (the first ones: a description is ≤ 2000 characters, 10 clauses cover most of it),
# and the tokens a yes/no and a quoted clause may add to the facts reply when decoded token by token.
MAX_PASSAGES = 10  # not measured: initial choice (issue 14)
TARGETED_TOKENS = 90  # ~60 tokens for a 240-character clause, plus the field names; not measured (issue 14)
# Prohibited practices evoked by meaning (issue 14, assess/senses.py): the cosine similarity between a
# sentence of the description and a plain sentence of a practice (law/cues-*.toml [[practice_sense]])
# from which the practice counts as evoked; the sentences compared per description.
# Calibrated on the development sets only (French scenarios, blind set 1, the benchmark half with
# adjudicated labels: 305 descriptions), EmbeddingGemma's STS prompt, `bench/calibrate_senses.py`
# (2026-12-03, eval/reports/2026-12-03-assess-senses.md): at 0.66 a sense reaches 47 of the 51
# prohibited descriptions and 2 of the 168 neither prohibited nor high-risk ones (0.62: 51/51 but
# 19/168; 0.68: 44/51 and 1/168).
SENSE_THRESHOLD = 0.66
# Same scale for the senses of the facts of art. 50 (law/cues-*.toml [[fact_sense]]): 2026-12-03,
# `bench/calibrate_senses.py --facts` on the dev sets (385 descriptions): at 0.66 a sense reaches 21/39
# « limité » descriptions (8 that no keyword reaches) and 1/132 « minimal »; 0.62: 29/39 and 7/132.
FACT_SENSE_THRESHOLD = 0.66
# Judge of a cued prohibited practice (issue 14, assess/judge.py): the threshold on score(« oui ») −
# score(« non ») of the first token, per practice, at or above which the practice is established. They
# hold for JUDGE_MODEL only (other models: the targeted questions, decoded as text). Calibrated on the
# French development sets only (French scenarios, blind set 1, dev4: 215 descriptions, 17 with a cued
# practice), margins read from the assessments themselves, `bench/calibrate_judge.py`,
# eval/reports/2026-12-03-assess-judge.md. a) −0.90: the 3 under a) (+0.16, −0.41, −0.86), not the 2
# prohibited under b) (−0.99, −1.59), no other cued; b) −0.50, midway between the best high-risk one
# (−0.61) and the best under b) (−0.36; −0.75 and −0.83 stay open); c) −1.20: 2/2 (−0.61, −1.14),
# not the high-risk one (−1.27); d) overlaps Annex III 6 (high-risk −0.61, −0.70, −0.73; prohibited
# −0.65): −0.40, above every margin seen, only a clear « oui » establishes it. Small samples: short of
# the threshold the practice stays open (« à préciser » or the possible prohibition), never « non ».
JUDGE_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
JUDGE_MARGIN = {
    "manipulation_subliminale": -0.90,
    "exploitation_vulnerabilites": -0.50,
    "notation_sociale": -1.20,
    "prediction_infraction": -0.40,
}
# A practice close in meaning but not evoked (issue 14, fifth round): one of a)–d) whose closest sentence
# of the description reaches JUDGE_NEAR (below SENSE_THRESHOLD: not a cue) is judged too; at or above
# JUDGE_OPEN_MARGIN it stays open (« à préciser », never « minimal »), below it is set aside; it is never
# established this way. French dev sets (215 descriptions, `bench/calibrate_judge.py --every`,
# eval/reports/2026-12-03-assess-near.md): at 0.60, 0.50 question per description; with −1.40 (and up
# to −1.00) the only description read low that it opens is s076 (labelled « à préciser », read
# « minimal »); at 0.58 or −1.60 it also opens descriptions labelled « minimal », « limité » or high-risk.
JUDGE_NEAR = 0.60
JUDGE_OPEN_MARGIN = -1.40
SENSE_EMBEDDER = "embeddinggemma-300m"  # the threshold holds for this embedder only; others: no senses
SENSE_MAX_SENTENCES = 12  # a description is ≤ 2000 characters; not measured: initial choice (issue 14)
SUMMARY_TOKENS = 120  # the 2-3 sentence summary; not measured: initial choice (commit d8e2afe)
GROUND_CHARS = 480  # quote of a ground of the verdict; not measured: initial choice (commit d8e2afe)
ITEM_CHARS = 420  # quote of an obligation or charter item; not measured: initial choice (commit d8e2afe)
MAX_QUESTIONS = 6  # points to clarify shown; not measured: initial choice (commit d8e2afe)
MAX_CHARTER = 6  # charter challenges shown; not measured: initial choice (commit d8e2afe)
# Provisions found by retrieval, shown when the level is undetermined.
NEIGHBOURS = 2  # not measured: initial choice (commit d8e2afe)
# Served assessment time with these values: median 23.6 s, p90 25.7 s over 12 scenarios
# (eval/reports/2026-11-28-assess-summary.md).

# ------------------------------------------------------------------ quiz (training/quizgen.py)
# Options pass the support check above. Everything below: not measured: initial choice
# (commit 974cbc9), except CLOZE_LINE_MIN_WORDS (commit 3bab756).
QUIZ_CONTEXT_CHARS = 420  # a cloze extract around its blank, and the passage shown to the phrasing model
QUIZ_PHRASE_WORDS = 24  # words of the provision's description of a system shown in a category item
QUIZ_MAX_TOKENS = 140  # the model's question and explanation
QUIZ_STEM_MIN_CHARS = 15  # a model-phrased question: shortest
QUIZ_STEM_MAX_CHARS = 260  # and longest
QUIZ_STEM_SUPPORT_MIN = 0.6  # share of a model-phrased question's content words (frame words aside) in the passage
QUIZ_EXPLANATION_MIN_CHARS = 20  # a model-phrased explanation: shortest
QUIZ_EXPLANATION_MAX_CHARS = 400  # and longest
CLOZE_MIN_CHARS = 40  # shortest extract around a blank
CLOZE_LINE_MIN_WORDS = 14  # a word blank in a shorter line leaves several words possible
# « Which provision says… » items quote a whole sentence, neither a stub nor a paragraph.
SOURCE_SENTENCE_MIN_WORDS = 8
SOURCE_SENTENCE_MAX_WORDS = 40

# ------------------------------------------------------------------ inference pool (backends/openai_http.py)

# Seconds a failed upstream is skipped before it is tried again (then it gets requests again, and
# is skipped again if it still fails). Not measured: initial choice (commit a6b5d6a, branch scale-out).
UPSTREAM_RETRY_S = 15.0

# ------------------------------------------------------------------ index switch (core/service.py)

# Seconds between two looks at index/CURRENT by a serving process: every worker serves a rebuilt
# index at most this long after `assistant index build` switched it. Not measured: initial choice
# (commit a6b5d6a, branch scale-out); the look is one small file read.
INDEX_RECHECK_S = 2.0

# ------------------------------------------------------------------ conversations (core/conversation.py)
# Server-side state of the conversations, in memory (or, with ASSISTANT_DATABASE_URL, in PostgreSQL:
# then the bounds are the installation's, not each worker's). All four: not measured: initial choice
# (branch conversations): a working session of an agent (about an hour, a handful of follow-ups),
# a few hundred agents at most on one server, a topic of one question.
CONVERSATION_TURNS = 8  # turns kept per conversation (the oldest go first; a follow-up reads the last one)
CONVERSATION_TTL_S = 3600  # a conversation untouched for this long is forgotten
CONVERSATIONS_MAX = 500  # conversations kept at once (the least recently used go first)
TOPIC_CHARS = 300  # what a follow-up carries of the previous question (answer/followup.py), at most
