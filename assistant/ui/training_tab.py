"""UI tab « Formation »: a live quiz for sessions, one question at a time, projectable.

The trainer picks topics, a level and a number of questions; items come from the bank of
validated items (completed by code-built items when it lacks some). Each answer shows right
or wrong, the explanation and the source (label and exact quote); the score comes at the end.
`LiveQuiz` holds the logic (pure, tested at handler level); `training_tab` wires it to Gradio.
Drawing the items is the one request to the service (`sessions(request).quiz`, audited in the
served app); answering and moving on happen in the session state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from assistant.answer.result import AI_LABEL
from assistant.base.errors import AssistantError, log_failure
from assistant.training.quiz import LEVELS, TOPICS, Item, validate
from assistant.ui.render import esc, render_message_html

log = logging.getLogger(__name__)

LETTERS = "ABCD"
BOTH = "les deux"
_BIG = "font-size:1.35rem;line-height:1.45"  # readable from the back of a room when projected
_INTRO = (
    '<div class="ia-root" lang="fr"><p>Quiz de formation sur le règlement européen sur l\'IA et la charte IA du '
    "Département. Chaque question a été vérifiée par le code : la bonne réponse est étayée par le passage cité, les "
    "autres ne le sont pas. Les questions sont formulées par une IA ou par un gabarit : "
    f"{esc(AI_LABEL)}</p></div>"
)

Draw = Callable[[list[str], int, str | None], tuple[list[Item], list[str]]]


def choice_labels(item: Item) -> list[str]:
    return [f"{LETTERS[i]}) {o}" for i, o in enumerate(item.options)]


class LiveQuiz:
    """State of one live session, as a plain dict (kept in a gr.State)."""

    def __init__(self, draw: Draw):
        self.draw = draw

    def start(self, topic_titles: Sequence[str], level: str, n: int) -> tuple[dict, str]:
        by_title = {t.title: t.slug for t in TOPICS}
        topics = [by_title[t] for t in topic_titles or [] if t in by_title] or [t.slug for t in TOPICS]
        lv = level if level in LEVELS else None
        try:
            items, notes = self.draw(topics, max(1, min(int(n or 10), 30)), lv)
        except AssistantError as exc:
            return {}, render_message_html(str(exc), error=True)
        items = [it for it in items if not validate(it)]  # never show an item the code cannot vouch for
        if not items:
            return {}, render_message_html(
                "Aucune question disponible pour ces thèmes : choisissez-en d'autres.", error=True
            )
        state = {"items": [it.to_json() for it in items], "i": 0, "score": 0, "answered": False, "notes": notes}
        return state, self.question_html(state)

    def current(self, state: dict) -> Item | None:
        items = state.get("items") or []
        i = state.get("i", 0)
        return Item.from_json(items[i]) if 0 <= i < len(items) else None

    def question_html(self, state: dict) -> str:
        it = self.current(state)
        if it is None:
            return self.score_html(state)
        total = len(state["items"])
        parts = [
            f'<div class="ia-root ia-quiz" lang="fr" style="{_BIG}">',
            f'<p class="ia-status">Question {state["i"] + 1} sur {total} · {esc(_topic_title(it.topic))} · '
            f"niveau {esc(it.level)}</p>",
            f"<p><strong>{esc(it.question)}</strong></p>",
        ]
        if it.context:
            parts.append(f"<blockquote>{esc(it.context)}</blockquote>")
        parts.append("".join(f"<p>{LETTERS[i]}) {esc(o)}</p>" for i, o in enumerate(it.options)) + "</div>")
        return "".join(parts)

    def answer(self, state: dict, choice: str | None) -> tuple[dict, str]:
        it = self.current(state)
        if it is None:
            return state, self.score_html(state)
        if state.get("answered"):
            return state, render_message_html("Réponse déjà donnée : passez à la question suivante.")
        labels = choice_labels(it)
        if choice not in labels:
            return state, render_message_html("Choisissez une réponse avant de valider.")
        right = labels.index(choice) == it.answer
        state = {**state, "answered": True, "score": state.get("score", 0) + (1 if right else 0)}
        return state, feedback_html(it, right)

    def next(self, state: dict) -> tuple[dict, str]:
        if not state.get("items"):
            return state, render_message_html("Commencez d'abord un quiz.")
        if not state.get("answered"):
            return state, self.question_html(state)  # no skipping past an unanswered question
        state = {**state, "i": state["i"] + 1, "answered": False}
        return state, self.question_html(state)

    def score_html(self, state: dict) -> str:
        total = len(state.get("items") or [])
        score = state.get("score", 0)
        notes = "".join(f'<p class="ia-status">{esc(n)}</p>' for n in state.get("notes") or [])
        return (
            f'<div class="ia-root ia-quiz" lang="fr" style="{_BIG}"><h3>Quiz terminé</h3>'
            f'<p class="ia-score"><strong>Score : {score} / {total}</strong></p>{notes}</div>'
        )


def feedback_html(it: Item, right: bool) -> str:
    c = it.citation
    page = f", p. {c['page']}" if c.get("page") else ""
    verdict = (
        "Bonne réponse !" if right else f"Mauvaise réponse. La bonne réponse était : {LETTERS[it.answer]}) {it.correct}"
    )
    lang = c.get("lang") if c.get("lang") in ("fr", "en") else "fr"
    return (
        f'<div class="ia-root ia-quiz" lang="fr" style="{_BIG}">'
        f'<p class="{"ia-right" if right else "ia-wrong"}"><strong>{"✔" if right else "✘"} {esc(verdict)}</strong></p>'
        f"<p>{esc(it.explanation)}</p>"
        f'<p class="ia-status">Source : {esc(c.get("label"))}{esc(page)}</p>'
        f'<blockquote lang="{lang}">« {esc(c.get("quote"))} »</blockquote></div>'
    )


def cases_html(settings: object) -> str:
    """The worked cases already assessed (`assistant training cases`), for discussion in a session."""
    import json

    from assistant.training.pack import cases_path

    path = cases_path(settings)
    rows = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    if not rows:
        return render_message_html(
            "Aucun cas pratique évalué pour l'instant : lancez `assistant training cases` (ou exportez un dossier de "
            "formation) pour les préparer."
        )
    parts = ['<div class="ia-root" lang="fr">']
    for r in rows:
        parts.append(
            f"<h3>{esc(r.get('title'))}</h3><p>{esc(r.get('description'))}</p>"
            f"<p><strong>Niveau de risque : {esc(r.get('level_title'))}</strong> "
            f'<span class="ia-status">({esc(r.get("method"))})</span></p>'
        )
    parts.append(f'<p class="ia-status">{esc(AI_LABEL)} La décision appartient au référent IA et au DPO.</p></div>')
    return "".join(parts)


def _topic_title(slug: str) -> str:
    return next((t.title for t in TOPICS if t.slug == slug), slug)


def service_draw(service: Any) -> Draw:
    """Items from the service: its validated bank first, then built by code from its index."""

    def draw(topics: list[str], n: int, level: str | None) -> tuple[list[Item], list[str]]:
        items, notes = service.quiz(topics, n, level)
        return items, notes

    return draw


def training_tab(service: Any, draw: Draw | None = None, sessions: Callable[[Any], Any] | None = None) -> None:
    """`service` feeds the cases panel; items come from `draw`, else from `sessions(request).quiz`."""
    session_of = sessions or (lambda request: service)

    def quiz_for(request: Any) -> LiveQuiz:
        """The quiz whose items are drawn by the user of `request` (an audited request in the served app)."""
        return LiveQuiz(draw or service_draw(session_of(request)))

    def not_here(topics: list[str], n: int, level: str | None) -> tuple[list[Item], list[str]]:
        raise RuntimeError("items are drawn per request: quiz_for(request)")

    quiz = LiveQuiz(not_here)  # answering and moving on: the session state only, no request

    gr.HTML(_INTRO)
    with gr.Row():
        topics = gr.CheckboxGroup(
            [t.title for t in TOPICS], label="Thèmes (aucun coché : tous)", elem_id="ia-quiz-topics"
        )
    with gr.Row():
        level = gr.Dropdown([BOTH, *LEVELS], value=BOTH, label="Niveau", elem_id="ia-quiz-level")
        n = gr.Slider(3, 30, value=10, step=1, label="Nombre de questions", elem_id="ia-quiz-n")
    start = gr.Button("Commencer le quiz", variant="primary", elem_id="ia-quiz-start")
    question = gr.HTML("", elem_id="ia-quiz-question", container=False)
    choice = gr.Radio([], label="Votre réponse", visible=False, elem_id="ia-quiz-choice")
    with gr.Row():
        validate_btn = gr.Button("Valider la réponse", visible=False, elem_id="ia-quiz-validate")
        next_btn = gr.Button("Question suivante", visible=False, elem_id="ia-quiz-next")
    feedback = gr.HTML("", elem_id="ia-quiz-feedback", container=False)
    state = gr.State({})

    def _controls(st: dict) -> tuple:
        it = quiz.current(st) if st else None
        if it is None:
            return gr.update(choices=[], value=None, visible=False), gr.update(visible=False), gr.update(visible=False)
        return (
            gr.update(choices=choice_labels(it), value=None, visible=True, interactive=True),
            gr.update(visible=True),
            gr.update(visible=False),
        )

    def on_start(t: list[str], lv: str, k: float, request: gr.Request) -> tuple:
        try:
            st, page = quiz_for(request).start(t, lv, int(k))
        except Exception as exc:  # the message may quote the description: frames only
            log_failure(log, "quiz start failed", exc)
            st, page = (
                {},
                render_message_html("Une erreur interne a empêché de préparer le quiz. Réessayez.", error=True),
            )
        return (st, page, *_controls(st), "")

    def on_answer(st: dict, c: str | None) -> tuple:
        st, page = quiz.answer(st, c)
        done = bool(st.get("answered"))
        return st, page, gr.update(interactive=not done), gr.update(visible=not done), gr.update(visible=done)

    def on_next(st: dict) -> tuple:
        st, page = quiz.next(st)
        return (st, page, *_controls(st), "")

    with gr.Accordion("Cas pratiques (projets évalués)", open=False):
        gr.HTML(lambda: cases_html(service.settings), elem_id="ia-training-cases")

    start.click(
        on_start,
        [topics, level, n],
        [state, question, choice, validate_btn, next_btn, feedback],
        api_visibility="private",
    )
    validate_btn.click(
        on_answer, [state, choice], [state, feedback, choice, validate_btn, next_btn], api_visibility="private"
    )
    next_btn.click(
        on_next, [state], [state, question, choice, validate_btn, next_btn, feedback], api_visibility="private"
    )
