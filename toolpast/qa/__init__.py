"""QA suites of PaST's knowledge-incorporation experiments (SQuAD under SEAL's protocol, LooGLE): their data,
prompts and grading. Light to import: nothing here loads torch; the training/evaluation pipeline builds on it."""
