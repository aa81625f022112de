from toolpast.models import load_tokenizer
from toolpast.rollout.chat_tokens import ChatTokens

CONVERSATION = [
    {"role": "system", "content": "You are a tool agent."},
    {"role": "user", "content": "What is the price of ACME?"},
    {"role": "assistant", "content": "Action: get_quote_for_stock_quotes\nAction Input: {\"symbol\": \"ACME\"}"},
    {"role": "user", "content": "Observation: {\"price\": 12.5}"},
]


def test_spliced_ids_equal_the_template_rendering(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    chat = ChatTokens(tokenizer)
    ids = chat.prompt_ids(CONVERSATION[:2])
    ids += tokenizer.encode(CONVERSATION[2]["content"], add_special_tokens=False) + [chat.eos_id]
    ids += chat.observation_ids(CONVERSATION[3]["content"])
    rendered = tokenizer.apply_chat_template(CONVERSATION, tokenize=False, add_generation_prompt=True)
    assert tokenizer.decode(ids) == rendered


def test_turn_text_drops_the_stop_token(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    chat = ChatTokens(tokenizer)
    ids = tokenizer.encode("Thought: done", add_special_tokens=False) + [chat.eos_id]
    assert chat.turn_text(ids) == "Thought: done"
