"""Natural-language wording of tasks: several query templates per recipe, one answer each.

Slots are filled by ``recipes.py`` from spec labels (``{label}`` = "share price",
``{target}`` = "the stock with ticker symbol ZLIT"), so every category reads naturally
without per-category templates. Answers state every gold fact, which makes them valid
oracle final answers.
"""

from __future__ import annotations

__all__ = ["QUERIES", "ANSWERS", "STAT_QUERIES", "STAT_NAMES", "listing"]

QUERIES: dict[str, tuple[str, ...]] = {
    "lookup_id": (
        "What is the ID of {target}?",
        "Find the {key_label} for {target}.",
        "I need the identifier of {target}. What is it?",
    ),
    "field_by_id": (
        "What is the {label} of {ref}?",
        "Look up {ref} and tell me its {label}.",
        "For {ref}, what is the {label}?",
    ),
    "field_by_name": (
        "What is the {label} of {target}?",
        "Can you tell me the {label} of {target}?",
        "I'd like to know the {label} of {target}.",
    ),
    "compare": (
        "Which has the {more} {label}: {target_a} or {target_b}? Give its {name_label} and the value.",
        "Compare {target_a} and {target_b}: which one has the {more} {label}, and what is it?",
        "Between {target_a} and {target_b}, which {entity} has the {more} {label}? Include the {label}.",
    ),
    "chain": (
        "What is the {label} of the {link} of {target}?",
        "For {target}, find its {link} and tell me that {entity}'s {label}.",
        "I need the {label} of the {link} of {target}.",
    ),
    "top": (
        "Which {entity} {filter} is the {superlative}? Give its {name_label} and {label}.",
        "Find the {superlative} {entity} {filter} and report its {name_label} and {label}.",
        "Among the {entities} {filter}, which one is the {superlative}, and what is its {label}?",
    ),
    "quote": (
        "What would the {total_label} be for {phrase}?",
        "Estimate the {total_label} of {phrase}.",
        "How much is the {total_label} for {phrase}?",
    ),
    "create": (
        "Please {action} and tell me {asks}.",
        "{action}, then give me {asks}.",
        "Could you {action}? Reply with {asks}.",
    ),
    "update": (
        "Please {action} and tell me its {label}.",
        "{action}. What is its {label}?",
        "I need you to {action}; afterwards, report its {label}.",
    ),
}

STAT_QUERIES: dict[str, tuple[str, ...]] = {
    "count": (
        "How many {entities} are there {filter}?",
        "Count the {entities} {filter}.",
        "What is the number of {entities} {filter}?",
    ),
    "average": (
        "What is the average {label} of the {entities} {filter}?",
        "Across all {entities} {filter}, what is the mean {label}?",
    ),
    "max": (
        "What is the highest {label} among the {entities} {filter}?",
        "Among the {entities} {filter}, what is the maximum {label}?",
    ),
    "min": (
        "What is the lowest {label} among the {entities} {filter}?",
        "Among the {entities} {filter}, what is the minimum {label}?",
    ),
}

STAT_NAMES = {"count": "number of {entities}", "average": "average {label}",
              "max": "highest {label}", "min": "lowest {label}"}

ANSWERS: dict[str, str] = {
    "lookup_id": "The ID of {target} is {value}.",
    "field_by_id": "The {label} of {ref} is {value}.",
    "field_by_name": "The {label} of {target} is {value}.",
    "compare": "{winner} has the {more} {label}: {value}.",
    "chain": "The {link} of {target} is {via}; its {label} is {value}.",
    "top": "The {superlative} {entity} {filter} is {winner}, with {label} {value}.",
    "stat": "The {stat_name} {filter} is {value}.",
    "quote": "The {total_label} for {phrase} is {value}.",
    "create": "Done. {tells}.",
    "update": "Done: {target} was updated; its {label} is {value}.",
}


def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
