"""The code a stage runs, as a digest that is part of its artifact key: new code never reuses an old result.

A hand-bumped version number is forgotten; a digest of all of toolpast + toolenv would throw away hours of
training whenever a leaderboard page or the CLI changes. So a stage's digest covers exactly the source files it
can execute: the import closure of its entry modules within toolpast and toolenv (a suite's STAGE_CODE, e.g.
toolpast.tooluse.stages), plus the file that defines its build function, found statically (nothing is imported to
hash it) and conservatively (a module that is reached is hashed even if the stage never calls it). A module
depends on
- every toolpast/toolenv module it imports, at the top or inside a function (lazy imports are how this code
  defers heavy libraries), and on its parent packages' `__init__.py`, which Python runs first;
- modules named by dotted string literals (`importlib.import_module("toolenv.toolbench")`), and, when it walks its
  package with `pkgutil.iter_modules` (toolenv's category registry), every module below that package;
- the package data files (templates) whose file names appear in its string literals.
Files are hashed byte for byte (line endings normalised) under their package-relative paths, so two checkouts in
different directories agree, editing a README or a test changes nothing, and editing any reachable module (a
comment included: hashing bytes cannot miss a change) changes the key. Third-party libraries are not hashed:
their versions are recorded in every manifest.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("toolpast", "toolenv")


@dataclass
class _Source:
    path: Path
    rel: str  # package-relative path, e.g. toolpast/tooluse/rl.py: what the digest names the file by
    is_package: bool
    deps: set[str] = field(default_factory=set)  # module names and data-file rel paths


def package_dirs() -> tuple[Path, ...]:
    """The directories of the packages this process would import under the PACKAGES names (found, not imported:
    hashing code must not run it)."""
    from importlib.util import find_spec

    return tuple(Path(find_spec(name).origin).resolve().parent for name in PACKAGES)


class CodeIndex:
    """Every module and data file of the packages under `package_dirs`, with each module's dependencies."""

    def __init__(self, package_dirs: Iterable[Path]):
        self.modules: dict[str, _Source] = {}
        self.data: dict[str, Path] = {}  # rel path -> file
        self.files: dict[str, bytes] = {}  # rel path -> contents (read once: the index is a snapshot)
        for root in package_dirs:
            root = Path(root)
            for path in sorted(root.rglob("*")):
                if (not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo")
                        or path.name.startswith(".")):  # hidden: editors' and atomic writers' temp files
                    continue
                rel = path.relative_to(root.parent).as_posix()
                try:
                    self.files[rel] = path.read_bytes().replace(b"\r\n", b"\n")
                except FileNotFoundError:  # an editor's temp file, gone since the listing
                    continue
                if path.suffix == ".py":
                    parts = rel[:-3].split("/")
                    is_package = parts[-1] == "__init__"
                    name = ".".join(parts[:-1] if is_package else parts)
                    self.modules[name] = _Source(path, rel, is_package)
                else:
                    self.data[rel] = path
        for name, source in self.modules.items():
            source.deps = self._dependencies(name, source)

    def _dependencies(self, name: str, source: _Source) -> set[str]:
        try:
            tree = ast.parse(self.files[source.rel], filename=str(source.path))
        except (SyntaxError, ValueError):  # being edited: its bytes are still hashed wherever it is reached
            return set(_parents(name)) & set(self.modules)
        package = name if source.is_package else name.rpartition(".")[0]
        found: set[str] = set(_parents(name))
        strings: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.update(_parents(alias.name) + [alias.name])
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                found.update(_parents(base) + [base])
                found.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.append(node.value)
            elif (isinstance(node, ast.Attribute) and node.attr == "iter_modules") or (
                    isinstance(node, ast.Name) and node.id == "iter_modules"):
                found.update(m for m in self.modules if m.startswith(package + "."))
        # a dotted name is a module to import (`import_module("toolenv.toolbench")`); a bare top-level package name
        # is how this file names the packages it indexes, not an import of their __init__
        found.update(s for s in strings if s in self.modules and "." in s)
        found.update(rel for rel, path in self.data.items() if any(path.name in s for s in strings))
        found.discard(name)
        return {d for d in found if d in self.modules or d in self.data}

    def closure(self, roots: Iterable[str]) -> list[str]:
        """The package-relative paths of every file reachable from the root modules, sorted."""
        todo, seen = [], set()
        for root in roots:
            if root not in self.modules:
                raise ValueError(f"{root!r} is not a module of {'/'.join(PACKAGES)}")
            todo.append(root)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in self.modules:
                todo.extend(self.modules[name].deps - seen)
        return sorted(self.modules[n].rel if n in self.modules else n for n in seen)

    def digest(self, roots: Iterable[str], alone: Iterable[str] = ()) -> str:
        """sha256 (hex) over the files of the roots' closure and of the `alone` modules (without their imports):
        each one's relative path and its bytes (CRLF read as LF)."""
        h = hashlib.sha256()
        rels = set(self.closure(roots))
        for name in alone:
            if name not in self.modules:
                raise ValueError(f"{name!r} is not a module of {'/'.join(PACKAGES)}")
            rels.add(self.modules[name].rel)
        for rel in sorted(rels):
            body = self.files[rel]
            h.update(f"{rel}\0{len(body)}\0".encode())
            h.update(body)
        return h.hexdigest()

    def module_of(self, filename: str) -> str | None:
        """The module whose source file is `filename` (e.g. a function's co_filename), if it is one of ours."""
        path = Path(filename).resolve()
        return next((n for n, s in self.modules.items() if s.path == path), None)


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@functools.cache
def installed_index() -> CodeIndex:
    """The index of the toolpast and toolenv this process imported, built once per process."""
    return CodeIndex(package_dirs())


@functools.cache
def code_digest(roots: tuple[str, ...], alone: tuple[str, ...] = ()) -> str:
    """Digest of the code reachable from `roots` (plus the `alone` modules' own files) in this process's packages,
    as they were when the index was first built: a run keys its stages by the code it started with, even if the
    checkout changes while it runs."""
    return installed_index().digest(roots, alone)
