"""Which code a step ran: the commit of the DAG file, from the run's DAG bundle or its checkout.

``checkout_location`` reads the git checkout that holds a file without running anything from
the repository: dulwich parses HEAD, the refs (loose and packed), the repository's own config
(for the remote URL) and the index in Python, so no hook, fsmonitor, filter or credential
helper that the repository's config names ever runs. A tracked file whose size or mtime
differs from the index is hashed as git would hash it (no filters: a file that only a clean
filter would make equal counts as changed, the cautious side), and the index is compared with
HEAD's tree, so staged and unstaged changes both make the tree dirty. Untracked files do not.

Repository URLs never carry a credential: ``public_repo_url`` drops the user information of
http(s) URLs, the password of any other URL, and every query and fragment.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from openlineage.client.facet_v2 import source_code_location_job

from llm_lineage.facets import SourceCodeState
from llm_lineage.lineage.secrets import credential_kind

#: Hosts whose web UI shows a file at a commit under ``/blob/<commit>/<path>``.
_BLOB_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")


_GITLINK = 0o160000


@dataclass(frozen=True)
class CodeLocation:
    """A DAG file at a commit of a repository."""

    repo_url: str
    path: str
    """The file's path inside the repository, with ``/``."""
    version: str | None = None
    """The commit."""
    branch: str | None = None
    tag: str | None = None
    dirty: bool | None = None
    origin: str = "gitCheckout"
    """``dagBundle`` or ``gitCheckout``."""
    type: str = "git"

    @property
    def url(self) -> str:
        """A URL to the file: the host's page at the commit when known, else the repository's."""
        browse = _browse_url(self.repo_url)
        if browse and self.version:
            host = urlsplit(browse).hostname or ""
            if host in _BLOB_HOSTS:
                return f"{browse}/blob/{self.version}/{quote(self.path)}"
        return browse or self.repo_url

    def state(self) -> SourceCodeState:
        return SourceCodeState(
            origin=self.origin,
            repoUrl=self.repo_url,
            path=self.path,
            commit=self.version,
            branch=self.branch,
            tag=self.tag,
            dirty=self.dirty,
        )


def public_repo_url(url: str) -> str | None:
    """``url`` without credentials, or None when it cannot be shown safely."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = parts.username if parts.scheme not in ("http", "https") else None
        netloc = f"{user}@{host}" if user and parts.password is None else host
        cleaned = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    else:  # scp-like ``git@host:org/repo.git`` or a local path: no password syntax
        cleaned = url.split("?", 1)[0].split("#", 1)[0]
    return None if credential_kind(cleaned) else cleaned


def _browse_url(repo_url: str) -> str | None:
    """An ``https://`` (or ``file://``) form of a repository URL, without ``.git``."""
    parts = urlsplit(repo_url)
    if parts.scheme in ("http", "https", "ssh", "git") and parts.hostname:
        path = parts.path.removesuffix(".git").rstrip("/")
        scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
        return f"{scheme}://{parts.hostname}{path}"
    if parts.scheme == "file":
        return repo_url
    if not parts.scheme and ":" in repo_url and not repo_url.startswith("/"):
        host, _, path = repo_url.partition(":")  # scp-like
        return f"https://{host.rsplit('@', 1)[-1]}/{path.removesuffix('.git').strip('/')}"
    if repo_url.startswith("/"):
        return Path(repo_url).as_uri()
    return None


def source_code_location_facet(
    code: CodeLocation,
) -> source_code_location_job.SourceCodeLocationJobFacet:
    return source_code_location_job.SourceCodeLocationJobFacet(
        type=code.type,
        url=code.url,
        repoUrl=code.repo_url,
        path=code.path,
        version=code.version,
        branch=code.branch,
        tag=code.tag,
    )


@cache
def cached_checkout_location(file: str) -> CodeLocation | None:
    """``checkout_location``, read once per process and file (every step of a run shares it)."""
    return checkout_location(file)


def checkout_location(file: str | os.PathLike[str]) -> CodeLocation | None:
    """The commit of the git checkout holding ``file``; None outside git or with no commit."""
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    path = Path(file).resolve()
    try:
        repo = Repo.discover(str(path.parent))
    except (NotGitRepository, OSError, ValueError):
        return None
    try:
        with repo:
            return _location(repo, path)
    except Exception:  # an odd repository must not fail the step it describes
        return None


def _location(repo: object, path: Path) -> CodeLocation | None:
    from dulwich.refs import Ref
    from dulwich.repo import Repo

    assert isinstance(repo, Repo)
    root = Path(repo.path).resolve()
    symrefs, commit = repo.refs.follow(Ref(b"HEAD"))
    if commit is None:
        return None
    head = symrefs[-1].decode() if len(symrefs) > 1 else None
    branch = head.removeprefix("refs/heads/") if head else None
    location = CodeLocation(
        repo_url=_remote_url(repo, branch) or root.as_uri(),
        path=path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name,
        version=commit.decode(),
        branch=branch,
        tag=_tag(repo, commit),
    )
    return replace(location, dirty=_dirty(repo, commit))


def _remote_url(repo: object, branch: str | None) -> str | None:
    config = repo.get_config()  # type: ignore[attr-defined]  # the repository's file only
    remote = b"origin"
    if branch:
        with contextlib.suppress(KeyError):
            remote = config.get((b"branch", branch.encode()), b"remote")
    try:
        url = config.get((b"remote", remote), b"url").decode(errors="replace")
    except KeyError:
        return None
    return public_repo_url(url)


def _tag(repo: object, commit: bytes) -> str | None:
    refs = repo.refs  # type: ignore[attr-defined]
    for name in sorted(refs.keys(base=b"refs/tags/")):
        full = b"refs/tags/" + name
        if commit in (refs.get_peeled(full), refs[full]):
            return name.decode(errors="replace")
    return None


def _dirty(repo: object, commit: bytes) -> bool:
    """True when the index differs from ``commit``'s tree or a tracked file from the index."""
    index = repo.open_index(config=repo.get_config())  # type: ignore[attr-defined]
    tree = repo[commit].tree  # type: ignore[index]
    store = repo.object_store  # type: ignore[attr-defined]
    for _change in index.changes_from_tree(store, tree):
        return True
    root = os.fsencode(repo.path)  # type: ignore[attr-defined]
    return any(_changed(root, name, entry) for name, entry in index.iteritems())


def _changed(root: bytes, name: bytes, entry: object) -> bool:
    from dulwich.index import IndexEntry, blob_from_path_and_stat

    if not isinstance(entry, IndexEntry):  # a merge conflict
        return True
    if stat.S_IFMT(entry.mode) == _GITLINK:
        return False  # a submodule: its own checkout
    full = os.path.join(root, name)  # noqa: PTH118  # bytes, as dulwich takes them
    try:
        info = os.lstat(full)
    except OSError:
        return True  # deleted
    if info.st_size != entry.size % 2**32:
        return True
    mtime = entry.mtime if isinstance(entry.mtime, tuple) else (int(entry.mtime), 0)
    if (int(info.st_mtime), info.st_mtime_ns % 10**9) == tuple(mtime):
        return False
    return blob_from_path_and_stat(full, info).id != entry.sha
