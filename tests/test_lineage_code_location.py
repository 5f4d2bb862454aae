"""Reading the git checkout that holds a DAG file, without running anything from it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from llm_lineage.hooks.code_location import bundle_location
from llm_lineage.lineage.code_location import (
    CodeLocation,
    checkout_location,
    public_repo_url,
    source_code_location_facet,
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "dags").mkdir(parents=True)
    (root / "dags" / "pipeline.py").write_text("# a DAG\n")
    (root / "README.md").write_text("readme\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    return root


def test_commit_branch_and_path(repo: Path) -> None:
    found = checkout_location(repo / "dags" / "pipeline.py")
    assert found is not None
    assert found.version == git(repo, "rev-parse", "HEAD")
    assert (found.branch, found.tag, found.dirty) == ("main", None, False)
    assert found.path == "dags/pipeline.py"
    assert found.repo_url == repo.resolve().as_uri()  # no remote: the checkout itself


def test_remote_tag_packed_refs_and_detached_head(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "git@github.com:org/pipelines.git")
    git(repo, "tag", "-a", "v1.0", "-m", "release")
    git(repo, "pack-refs", "--all")
    commit = git(repo, "rev-parse", "HEAD")
    found = checkout_location(repo / "dags" / "pipeline.py")
    assert found is not None
    assert (found.version, found.tag, found.branch) == (commit, "v1.0", "main")
    assert found.repo_url == "git@github.com:org/pipelines.git"
    assert found.url == f"https://github.com/org/pipelines/blob/{commit}/dags/pipeline.py"
    git(repo, "checkout", "-q", "--detach", "HEAD")
    detached = checkout_location(repo / "dags" / "pipeline.py")
    assert detached is not None and detached.branch is None and detached.version == commit


@pytest.mark.parametrize("change", ["edit", "stage", "delete", "untracked"])
def test_dirty_tree(repo: Path, change: str) -> None:
    dag = repo / "dags" / "pipeline.py"
    if change == "edit":
        dag.write_text("# a DAG, edited\n")
    elif change == "stage":
        (repo / "new.py").write_text("x = 1\n")
        git(repo, "add", "new.py")
    elif change == "delete":
        (repo / "README.md").unlink()
    else:
        (repo / "scratch.txt").write_text("not tracked\n")
    found = checkout_location(dag)
    assert found is not None and found.dirty is (change != "untracked")


def test_same_content_rewritten_is_clean(repo: Path) -> None:
    dag = repo / "dags" / "pipeline.py"
    dag.write_text(dag.read_text())  # new mtime, same bytes: hashed, equal
    found = checkout_location(dag)
    assert found is not None and found.dirty is False


def test_nothing_from_the_repository_runs(repo: Path, tmp_path: Path) -> None:
    """fsmonitor, filters, hooks and credential helpers named in the repo's config never run."""
    ran = tmp_path / "ran"
    ran.mkdir()
    (repo / ".gitattributes").write_text("*.py filter=evil diff=evil\n")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "attributes")
    for key, name in (
        ("core.fsmonitor", "fsmonitor"),
        ("filter.evil.clean", "clean"),
        ("filter.evil.smudge", "smudge"),
        ("filter.evil.process", "process"),
        ("diff.evil.textconv", "textconv"),
        ("credential.helper", "credential"),
        ("core.hooksPath", "hooks"),
    ):
        git(repo, "config", key, f"touch {ran / name}")
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {ran / 'hook'}\n")
    hook.chmod(0o755)
    (repo / "dags" / "pipeline.py").write_text("# edited\n")
    found = checkout_location(repo / "dags" / "pipeline.py")
    assert found is not None and found.dirty is True
    assert list(ran.iterdir()) == []


def test_outside_git_and_before_the_first_commit(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "dag.py").write_text("x")
    assert checkout_location(loose / "dag.py") is None
    git(loose, "init", "-q")
    assert checkout_location(loose / "dag.py") is None  # no commit yet


def test_a_linked_worktree(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(other))
    (other / "dags" / "pipeline.py").write_text("# feature\n")
    git(other, "commit", "-q", "-am", "feature")
    found = checkout_location(other / "dags" / "pipeline.py")
    assert found is not None
    assert (found.branch, found.version, found.dirty) == (
        "feature",
        git(other, "rev-parse", "HEAD"),
        False,
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://x-access-token:ghp_abcdefghijabcdefghijabcdefghij0123@github.com/o/r.git",
            "https://github.com/o/r.git",
        ),
        ("https://oauth2:glpat-abcdefghijabcdefghij@gitlab.com/o/r", "https://gitlab.com/o/r"),
        ("https://ghp_abcdefghijabcdefghijabcdefghij0123@github.com/o/r", "https://github.com/o/r"),
        ("https://github.com/o/r.git?token=abc#frag", "https://github.com/o/r.git"),
        ("ssh://git:secret@host:2222/o/r.git", "ssh://host:2222/o/r.git"),
        ("ssh://git@host/o/r.git", "ssh://git@host/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
        ("ghp_abcdefghijabcdefghijabcdefghij0123", None),
    ],
)
def test_repo_urls_never_carry_a_credential(url: str, shown: str | None) -> None:
    assert public_repo_url(url) == shown


def test_a_versioned_bundle_wins_and_names_its_repository() -> None:
    bundle = SimpleNamespace(
        name="dags",
        repo_url="https://user:ghp_abcdefghijabcdefghijabcdefghij0123@github.com/org/dags.git",
        subdir="pipelines",
        tracking_ref="main",
    )
    found = bundle_location(bundle, "0" * 40, "llm.py")
    assert found == CodeLocation(
        repo_url="https://github.com/org/dags.git",
        path="pipelines/llm.py",
        version="0" * 40,
        branch="main",
        origin="dagBundle",
    )
    facet = source_code_location_facet(found)
    assert facet.url == f"https://github.com/org/dags/blob/{'0' * 40}/pipelines/llm.py"
    assert bundle_location(bundle, None, "llm.py") is None  # not versioned
    assert bundle_location(SimpleNamespace(name="local"), "v1", "llm.py") is None  # no repository
