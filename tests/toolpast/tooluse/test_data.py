import toolenv
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.data import knowledge_rows, rl_tasks, warmup_rows


def test_warmup_sees_only_warmup_categories():
    cfg = RunConfig()
    rows = warmup_rows(cfg)
    assert len(rows) == cfg.warmup.tasks_per_category * len(cfg.warmup.categories)
    text = "\n".join(m["content"] for row in rows for m in row["messages"])
    for slug in [cfg.target, *cfg.source]:
        for doc in toolenv.get_category(slug).api_docs:
            assert doc.api_name not in text or doc.api_name in _warmup_api_names(cfg)


def _warmup_api_names(cfg):
    return {d.api_name for slug in cfg.warmup.categories for d in toolenv.get_category(slug).api_docs}


def test_knowledge_rows_hold_docs_and_no_task_text():
    cfg = RunConfig()
    rows = knowledge_rows(["finance"], cfg)
    assert rows and all(set(r) == {"text"} for r in rows)
    corpus = "\n".join(r["text"] for r in rows)
    for task in toolenv.get_category("finance").tasks("test"):
        assert task.query not in corpus


def test_rl_tasks_come_from_source_train_split():
    cfg = RunConfig()
    tasks = rl_tasks(cfg)
    assert len(tasks) == cfg.rl.train_tasks * len(cfg.source)
    assert {t.category for t in tasks} == set(cfg.source) and {t.split for t in tasks} == {"train"}
