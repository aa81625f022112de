"""The README is a map a newcomer reads top to bottom; the documents it, docs/ and the code point to exist.

Fails when:
- README.md has 400 lines or more, or its "## Layout" section starts in the second half of the file;
- the Layout section misses a package or a module. A package is every directory of toolpast/ or toolenv/ (the two
  top levels included, __pycache__ left out) that holds a .py file; it needs at least one bullet there whose first
  backticked path is the package directory (`toolpast/stages/`, `toolenv/`; a package may have several bullets,
  e.g. toolpast/'s infrastructure at the bottom and its entry points at the top). Each of its modules (a .py file
  other than __init__.py) must be named in one of those bullets as a backticked stem (`runner` or `runner.py`),
  and every backticked bare name in them must be a module of that package (so a moved module is not left behind);
- a local link in README.md or docs/*.md points to nothing: markdown links `[text](target)` outside code blocks
  (http(s) and mailto targets and pure #anchors skipped, an anchor cut off, resolved relative to the file holding
  the link), and backticked `docs/NAME.md` mentions (relative to the repository root);
- README.md's Documents section does not link every docs/*.md file, or a doc does not start with a `# ` title line;
- a docstring (module, class or function) or a comment of a .py file under toolpast/, toolenv/ or scripts/ cites a
  `*.md` document that is not in the repository. The rule: a citation (a match of `[\\w./-]+\\.md`) containing a
  `/` must name an existing file relative to the repository root (`docs/method.md`); one without a `/` must be the
  name of some file in the repository (outside .git and .venv): `README.md` passes, `DESIGN.md` does not (it lives
  outside the repository, in ../shared/);
- a backticked path into the repository (`toolpast/...`, `toolenv/...`, `scripts/...`, `tests/...`, `tasks/...`,
  `leaderboards/...`, `accelerate/...`, `docs/...`) in README.md or docs/*.md names nothing, e.g. a module that
  moved. Spans with a wildcard, a placeholder (`<name>`) or a space are not paths and are skipped.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PACKAGE_ROOTS = ("toolpast", "toolenv")
CITING_ROOTS = ("toolpast", "toolenv", "scripts")
SKIPPED_DIRS = {".git", ".venv", "__pycache__", "node_modules"}
MAX_README_LINES = 400


def _documents() -> list[Path]:
    return [README, *DOCS]


def _without_code_blocks(text: str) -> str:
    """The text with fenced code blocks blanked out (line count kept)."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
            continue
        out.append("" if fenced else line)
    return "\n".join(out)


def _section(text: str, title: str) -> tuple[int, list[str]]:
    """The 0-based line index of `## title` and the lines of its section (up to the next `## ` heading)."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if re.fullmatch(rf"##\s+{re.escape(title)}\s*", line)]
    assert len(starts) == 1, f"README.md needs exactly one '## {title}' heading, found {len(starts)}"
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return start, lines[start + 1:end]


def _bullets(lines: list[str]) -> list[str]:
    """Top-level `- ` bullets, each joined with its indented continuation lines."""
    bullets: list[str] = []
    for line in lines:
        if line.startswith("- "):
            bullets.append(line)
        elif bullets and line.startswith((" ", "\t")) and line.strip():
            bullets[-1] += " " + line.strip()
        elif not line.strip() or line.startswith("#"):
            continue
        elif bullets:
            bullets.append("")  # a paragraph ends the bullet list's last item
    return [b for b in bullets if b]


def _packages() -> dict[str, set[str]]:
    """Package directory (as `toolpast/stages/`) -> the stems of its modules other than __init__."""
    found: dict[str, set[str]] = {}
    for root in PACKAGE_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            if SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
                continue
            key = path.parent.relative_to(ROOT).as_posix() + "/"
            stems = found.setdefault(key, set())
            if path.stem != "__init__":
                stems.add(path.stem)
    return found


def test_readme_is_short():
    count = len(README.read_text(encoding="utf-8").split("\n"))
    assert count < MAX_README_LINES, (f"README.md has {count} lines; keep it under {MAX_README_LINES} "
                                      "(details go to docs/)")


def test_layout_is_in_the_first_half():
    text = README.read_text(encoding="utf-8")
    start, _ = _section(text, "Layout")
    total = len(text.split("\n"))
    assert start < total / 2, f"'## Layout' is on line {start + 1} of {total}: move it into the first half"


def test_layout_names_every_package_and_module():
    _, lines = _section(README.read_text(encoding="utf-8"), "Layout")
    by_package: dict[str, list[str]] = {}
    for bullet in _bullets(lines):
        paths = re.findall(r"`([\w./-]+/)`", bullet)
        if paths:
            by_package.setdefault(paths[0], []).append(bullet)
    problems = []
    for package, stems in sorted(_packages().items()):
        bullets = by_package.get(package)
        if not bullets:
            problems.append(f"{package}: no bullet in README 'Layout' (one starting with **`{package}`**)")
            continue
        named = {m.group(1) for b in bullets for m in re.finditer(r"`([A-Za-z_]\w*)(?:\.py)?`", b)}
        if missing := sorted(stems - named):
            problems.append(f"{package}: modules not listed: {', '.join(missing)}")
        if stale := sorted(named - stems):
            problems.append(f"{package}: names that are no module of it (moved or removed?): {', '.join(stale)}")
    extra = sorted(set(by_package) - set(_packages()))
    problems += [f"{p}: a Layout bullet for a directory that holds no .py file" for p in extra]
    assert not problems, "README 'Layout' is out of date with the tree:\n" + "\n".join(problems)


def _local_targets(path: Path) -> list[tuple[str, Path]]:
    text = _without_code_blocks(path.read_text(encoding="utf-8"))
    targets = []
    for match in re.finditer(r"\[[^\]]*\]\(([^)\s]+)\)", text):
        target = match.group(1)
        if re.match(r"(https?|mailto|ftp):", target) or target.startswith("#"):
            continue
        targets.append((target, (path.parent / target.split("#", 1)[0]).resolve()))
    for match in re.finditer(r"`(docs/[\w./-]+\.md)`", text):
        targets.append((match.group(1), ROOT / match.group(1)))
    return targets


def test_local_links_resolve():
    broken = [f"{doc.relative_to(ROOT)}: {target}" for doc in _documents()
              for target, resolved in _local_targets(doc) if not resolved.exists()]
    assert not broken, "links to files that do not exist:\n" + "\n".join(broken)


def test_readme_lists_every_doc_and_docs_have_titles():
    _, lines = _section(README.read_text(encoding="utf-8"), "Documents")
    linked = {(README.parent / m.group(1)).resolve() for m in re.finditer(r"\]\(([^)#\s]+)", "\n".join(lines))}
    unlisted = [d.relative_to(ROOT).as_posix() for d in DOCS if d.resolve() not in linked]
    assert not unlisted, f"README 'Documents' does not link: {', '.join(unlisted)}"
    untitled = [d.name for d in DOCS if not d.read_text(encoding="utf-8").startswith("# ")]
    assert not untitled, f"docs without a '# ' title line: {', '.join(untitled)}"


REPO_PATH = re.compile(r"`((?:toolpast|toolenv|scripts|tests|tasks|leaderboards|accelerate|docs)/[\w./-]*)`")


def test_backticked_repo_paths_exist():
    missing = []
    for doc in _documents():
        for match in REPO_PATH.finditer(doc.read_text(encoding="utf-8")):
            if not (ROOT / match.group(1)).exists():
                missing.append(f"{doc.relative_to(ROOT)}: {match.group(1)}")
    assert not missing, "backticked paths that name nothing in the repository:\n" + "\n".join(missing)


def _docstrings_and_comments(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                found.append((body[0].lineno, body[0].value.value))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found.append((token.start[0], token.string))
    return found


def _repository_file_names() -> set[str]:
    names = set()
    for path in ROOT.rglob("*"):
        if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
            names.add(path.name)
    return names


def test_code_cites_only_documents_in_the_repository():
    names = _repository_file_names()
    broken = []
    for root in CITING_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            if SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
                continue
            for line, text in _docstrings_and_comments(path):
                for match in re.finditer(r"[\w./-]+\.md\b", text):
                    cited = match.group(0)
                    if "/" in cited:
                        resolved = (ROOT / cited).resolve()
                        ok = resolved.is_file() and resolved.is_relative_to(ROOT)
                    else:
                        ok = cited in names
                    if not ok:
                        at = line + text.count("\n", 0, match.start())
                        broken.append(f"{path.relative_to(ROOT)}:{at}: {cited}")
    assert not broken, "docstrings or comments cite documents that are not in the repository:\n" + "\n".join(broken)
