"""`toolpast qa loogle`: LooGLE long documents, chunked for SFT, then closed-book answers graded like SQuAD's.

Per document (PaST's LooGLE setting, one adapter per document like SEAL's single passage): the document is cut
into token windows (`chunk_document`, each prefixed with the title as SEAL prefixes its documents), a fresh LoRA
is trained on them in memory, the document's questions are answered with SEAL's prompt and no document in it,
and the same weights + lambda * v answer again. The skill vector is the SQuAD one (`source_skill`, same stage
keys, so a `qa squad` run with the same source settings has already built it): LooGLE has 5 documents per split,
too few to hold out RL source documents.
"""

from __future__ import annotations

from pathlib import Path

from toolpast.artifacts import ArtifactStore
from toolpast.io import atomic_write_text
from toolpast.leaderboard.schema import Leaderboard
from toolpast.progress import console
from toolpast.qa.answer import passage_questions
from toolpast.qa.config import LoogleConfig
from toolpast.qa.entries import QAResult, render_qa_table, to_entry
from toolpast.qa.loogle_data import chunk_document, load_loogle
from toolpast.qa.records import Passage
from toolpast.qa.sequences import TRAINING_SEQUENCE
from toolpast.qa.squad_run import Base, by_passage, skill_vector
from toolpast.qa.stages import evaluate_model, make_grader, read_answers
from toolpast.stages.runner import Runner, build_id

SETTING = "single_document"


def loogle_documents(cfg: LoogleConfig) -> list[Passage]:
    docs = load_loogle(cfg.kind, cfg.loogle_dir)[:cfg.documents]
    if cfg.questions_per_document is not None:
        docs = [d.model_copy(update={"questions": d.questions[:cfg.questions_per_document]}) for d in docs]
    return docs


def chunk_texts(cfg: LoogleConfig, tokenizer):
    """texts_for(document, knowledge, completion): the document's title-prefixed chunks (only knowledge 'passage')."""
    def texts_for(doc: Passage, knowledge: str, completion: int) -> list[str]:
        chunks = chunk_document(doc.context, tokenizer, cfg.chunk_tokens, cfg.chunk_overlap)
        chunks = chunks[:cfg.max_chunks] if cfg.max_chunks else chunks
        return [TRAINING_SEQUENCE.format(title=doc.title, text=c) for c in chunks]

    return texts_for


def run_loogle(cfg: LoogleConfig, export: Path | None = None, command: str = "toolpast qa loogle",
               force: set[str] = frozenset(), store: ArtifactStore | None = None) -> tuple[Leaderboard, Path]:
    from toolpast.qa.passage_sft import PassageAdapter, load_vector
    from toolpast.qa.single_passage import run_single_passage

    if cfg.passage_sft.max_length < cfg.chunk_tokens + 16:
        raise ValueError(f"passage_sft.max_length={cfg.passage_sft.max_length} would cut chunks of "
                         f"{cfg.chunk_tokens} tokens: set it to at least chunk_tokens + 16 (title and EOS)")
    store = store or ArtifactStore()
    runner, grader, base = Runner(store, set(force)), make_grader(cfg.grader), Base(cfg)
    vector, _ = skill_vector(cfg, runner, base, grader)
    docs = loogle_documents(cfg)
    questions = passage_questions(docs)
    past_meta = dict(lam=cfg.lam, vector_id=vector.key if vector else None, rounds=cfg.source.rounds,
                     source=["squad_val-minus-seal200"])
    results: list[QAResult] = []
    if cfg.base:
        answers = evaluate_model(runner, cfg, "base", base.ref, base.load, questions, grader)
        results.append(QAResult("base", None, SETTING, by_passage(read_answers(answers.path)), base.sha))
    model, tokenizer = base.load()
    adapter = PassageAdapter(model, tokenizer)
    tensors = load_vector(vector.path / "vector") if vector is not None else None
    spec = {"suite": "loogle", "kind": cfg.kind, "model": base.ref, "seed": cfg.seed, "dtype": cfg.dtype,
            "chunks": [cfg.chunk_tokens, cfg.chunk_overlap, cfg.max_chunks],
            "passage_sft": cfg.passage_sft.model_dump(), "answer": cfg.answer.model_dump(exclude={"batch_size"}),
            "grader": grader.name, "knowledge": cfg.knowledge, "past": cfg.past, "lam": cfg.lam,
            "vector": build_id(vector) if vector is not None else None}
    by_label = run_single_passage(cfg, adapter, list(enumerate(docs)), grader, spec, tensors,
                                  texts_for=chunk_texts(cfg, tokenizer), description="document SFT + eval")
    results += [QAResult("sft", k, SETTING, by_label[f"sft:{k}"], base.sha) for k in cfg.knowledge]
    results += [QAResult("past", k, SETTING, by_label[f"past:{k}"], base.sha, **past_meta) for k in cfg.past]
    category = cfg.kind if cfg.documents >= 5 and cfg.questions_per_document is None and cfg.max_chunks is None \
        else f"{cfg.kind}_subset"
    board = Leaderboard(entries=[to_entry(r, cfg, "loogle", category, command, store.commit, grader.name)
                                 for r in results])
    out = export or Path("leaderboards") / f"loogle_{category}_{cfg.preset}.json"
    atomic_write_text(out, board.model_dump_json(indent=2) + "\n")
    console.print(render_qa_table(board, f"LooGLE {cfg.kind} closed-book ({category}, grader {grader.name})"))
    return board, out
