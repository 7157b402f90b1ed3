"""A loopback fake of GitHub's REST API (aiohttp on port 0) for PyGithub with `base_url`.

PyGithub with a non-github.com base URL requests `/repos/{owner}/{name}/...` directly (no
`/api/v3` prefix when the base has no path), and follows absolute URLs found in bodies and
`Link` headers, so every URL served here points back at this server. Serves deployments
(paginated), single deployments, commits (with files and patches), comparisons, tags,
releases and file contents. Records requests; `faults` scripts errors, 429s and delays.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fakes.loopback import serve
from tests.fakes.sentry_server import DEPLOYED_AT, FaultPlan, iso


@dataclass
class FakeCommit:
    """A commit in the fake repository's linear history."""

    sha: str
    message: str
    author: str
    date: datetime
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GitHubData:
    """What the fake GitHub knows about one repository."""

    owner: str
    name: str
    history: list[FakeCommit]  # oldest first; each commit's parent is the one before
    deployments: list[dict[str, Any]]  # {id, sha, ref, environment, created_at: datetime}
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, sha), newest first
    releases: list[dict[str, Any]] = field(
        default_factory=list
    )  # {id, name, tag_name, published_at}
    contents: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, sha) -> text
    pulls: dict[str, int] = field(default_factory=dict)  # sha -> the pull request merging it


class FakeGitHub:
    """The server. `async with FakeGitHub(data) as fake:` then use `fake.url` as base_url.

    Attributes:
        requests: `(path, query)` of every request, in order.
        page_size: the most items per list page (forces pagination in tests).
    """

    def __init__(self, data: GitHubData, *, token: str = "ghp_testtoken", page_size: int = 30):
        self.data = data
        self.token = token
        self.page_size = page_size
        self.faults = FaultPlan()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeGitHub:
        app = web.Application(middlewares=[self._middleware])
        prefix = f"/repos/{self.data.owner}/{self.data.name}"
        app.router.add_get(prefix, self._repo)
        app.router.add_get(f"{prefix}/deployments", self._deployments)
        app.router.add_get(f"{prefix}/deployments/{{id}}", self._deployment)
        app.router.add_get(f"{prefix}/commits/{{sha:[0-9a-f]+}}/pulls", self._pulls)
        app.router.add_get(f"{prefix}/commits/{{ref:.+}}", self._commit)
        app.router.add_get(f"{prefix}/compare/{{spec:.+}}", self._compare)
        app.router.add_get(f"{prefix}/tags", self._tags)
        app.router.add_get(f"{prefix}/releases", self._releases)
        app.router.add_get(f"{prefix}/contents/{{path:.+}}", self._contents)
        self._runner, self.url = await serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.query)))
        faulted = await self.faults.answer(request.path)
        if faulted is not None:
            return faulted
        if request.headers.get("Authorization") not in (
            f"token {self.token}",
            f"Bearer {self.token}",
        ):
            return web.json_response(
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com"},
                status=401,
            )
        return await handler(request)

    def _base(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}/repos/{self.data.owner}/{self.data.name}"

    @staticmethod
    def _not_found() -> web.Response:
        return web.json_response({"message": "Not Found"}, status=404)

    def _page(self, request: web.Request, items: list[Any]) -> web.Response:
        """One page of `items` with GitHub's `Link` header (page/per_page)."""
        per_page = min(int(request.query.get("per_page", "30")), self.page_size)
        page = int(request.query.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            params = {**request.query, "page": str(page + 1), "per_page": str(per_page)}
            query = "&".join(f"{k}={v}" for k, v in params.items())
            headers["Link"] = (
                f'<{request.scheme}://{request.host}{request.path}?{query}>; rel="next"'
            )
        return web.json_response(chunk, headers=headers)

    def _find_commit(self, ref: str) -> FakeCommit | None:
        tags = dict(self.data.tags)
        sha = tags.get(ref, ref)
        for commit in self.data.history:
            if commit.sha == sha or (len(sha) >= 7 and commit.sha.startswith(sha)):
                return commit
        return None

    def _commit_json(
        self, request: web.Request, commit: FakeCommit, *, files: bool
    ) -> dict[str, Any]:
        base = self._base(request)
        index = self.data.history.index(commit)
        parents = [self.data.history[index - 1]] if index > 0 else []
        body: dict[str, Any] = {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha[:10]}",
            "url": f"{base}/commits/{commit.sha}",
            "html_url": f"https://github.example/{self.data.owner}/{self.data.name}/commit/{commit.sha}",
            "commit": {
                "url": f"{base}/git/commits/{commit.sha}",
                "message": commit.message,
                "author": {
                    "name": commit.author,
                    "email": f"{commit.author}@example.com",
                    "date": iso(commit.date),
                },
                "committer": {
                    "name": commit.author,
                    "email": f"{commit.author}@example.com",
                    "date": iso(commit.date),
                },
                "tree": {"sha": "0" * 40, "url": f"{base}/git/trees/{'0' * 40}"},
                "comment_count": 0,
            },
            "author": {"login": commit.author, "id": 1, "type": "User"},
            "committer": {"login": commit.author, "id": 1, "type": "User"},
            "parents": [{"sha": p.sha, "url": f"{base}/commits/{p.sha}"} for p in parents],
        }
        if files:
            body["stats"] = {
                "additions": sum(f.get("additions", 0) for f in commit.files),
                "deletions": sum(f.get("deletions", 0) for f in commit.files),
                "total": sum(f.get("additions", 0) + f.get("deletions", 0) for f in commit.files),
            }
            body["files"] = [
                {
                    "sha": "1" * 40,
                    "changes": f.get("additions", 0) + f.get("deletions", 0),
                    "blob_url": f"https://github.example/blob/{commit.sha}/{f['filename']}",
                    "raw_url": f"https://github.example/raw/{commit.sha}/{f['filename']}",
                    "contents_url": f"{base}/contents/{f['filename']}?ref={commit.sha}",
                    **f,
                }
                for f in commit.files
            ]
        return body

    def _deployment_json(self, request: web.Request, dep: dict[str, Any]) -> dict[str, Any]:
        base = self._base(request)
        return {
            "url": f"{base}/deployments/{dep['id']}",
            "id": dep["id"],
            "node_id": f"DE_{dep['id']}",
            "sha": dep["sha"],
            "ref": dep["ref"],
            "task": "deploy",
            "payload": {},
            "original_environment": dep["environment"],
            "environment": dep["environment"],
            "description": f"deploy {dep['ref']}",
            "creator": {"login": "deploy-bot", "id": 2, "type": "Bot"},
            "created_at": iso(dep["created_at"]),
            "updated_at": iso(dep["created_at"]),
            "statuses_url": f"{base}/deployments/{dep['id']}/statuses",
            "repository_url": base,
            "transient_environment": False,
            "production_environment": dep["environment"] == "production",
        }

    # ------------------------------------------------------------------ routes

    async def _repo(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "id": 1,
                "name": self.data.name,
                "full_name": f"{self.data.owner}/{self.data.name}",
                "url": self._base(request),
            }
        )

    async def _deployments(self, request: web.Request) -> web.Response:
        q = request.query
        deps = [
            d
            for d in sorted(self.data.deployments, key=lambda d: d["created_at"], reverse=True)
            if all(not q.get(k) or d[k] == q[k] for k in ("environment", "ref", "sha"))
        ]
        return self._page(request, [self._deployment_json(request, d) for d in deps])

    async def _deployment(self, request: web.Request) -> web.Response:
        wanted = request.match_info["id"]
        dep = next((d for d in self.data.deployments if str(d["id"]) == wanted), None)
        if dep is None:
            return self._not_found()
        return web.json_response(self._deployment_json(request, dep))

    async def _pulls(self, request: web.Request) -> web.Response:
        """`GET /repos/o/r/commits/{sha}/pulls`: the pull requests that brought a commit."""
        number = self.data.pulls.get(request.match_info["sha"])
        base = f"https://github.example/{self.data.owner}/{self.data.name}"
        items = (
            []
            if number is None
            else [
                {
                    "url": f"{self._base(request)}/pulls/{number}",
                    "id": number,
                    "number": number,
                    "state": "closed",
                    "title": f"PR {number}",
                    "html_url": f"{base}/pull/{number}",
                    "user": {"login": "dev", "id": 3, "type": "User"},
                }
            ]
        )
        return web.json_response(items)

    async def _commit(self, request: web.Request) -> web.Response:
        commit = self._find_commit(request.match_info["ref"])
        if commit is None:
            return web.json_response(
                {"message": f"No commit found for SHA: {request.match_info['ref']}"}, status=422
            )
        return web.json_response(self._commit_json(request, commit, files=True))

    async def _compare(self, request: web.Request) -> web.Response:
        base_ref, _, head_ref = request.match_info["spec"].partition("...")
        base, head = self._find_commit(base_ref), self._find_commit(head_ref)
        if base is None or head is None:
            return self._not_found()
        history = self.data.history
        between = history[history.index(base) + 1 : history.index(head) + 1]
        return web.json_response(
            {
                "url": f"{self._base(request)}/compare/{base.sha}...{head.sha}",
                "html_url": "https://github.example/compare",
                "permalink_url": "https://github.example/compare/permalink",
                "diff_url": "https://github.example/compare.diff",
                "patch_url": "https://github.example/compare.patch",
                "status": "ahead",
                "ahead_by": len(between),
                "behind_by": 0,
                "total_commits": len(between),
                "base_commit": self._commit_json(request, base, files=False),
                "merge_base_commit": self._commit_json(request, base, files=False),
                "commits": [self._commit_json(request, c, files=False) for c in between],
                "files": [f for c in between for f in c.files][:300],
            }
        )

    async def _tags(self, request: web.Request) -> web.Response:
        base = self._base(request)
        return self._page(
            request,
            [
                {
                    "name": name,
                    "commit": {"sha": sha, "url": f"{base}/commits/{sha}"},
                    "zipball_url": f"{base}/zipball/{name}",
                    "tarball_url": f"{base}/tarball/{name}",
                    "node_id": f"T_{name}",
                }
                for name, sha in self.data.tags
            ],
        )

    async def _releases(self, request: web.Request) -> web.Response:
        base = self._base(request)
        return self._page(
            request,
            [
                {
                    "id": r["id"],
                    "url": f"{base}/releases/{r['id']}",
                    "tag_name": r["tag_name"],
                    "name": r["name"],
                    "draft": False,
                    "prerelease": False,
                    "created_at": iso(r["published_at"]),
                    "published_at": iso(r["published_at"]),
                }
                for r in self.data.releases
            ],
        )

    async def _contents(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        commit = self._find_commit(request.query.get("ref", self.data.history[-1].sha))
        text = self.data.contents.get((path, commit.sha)) if commit else None
        if text is None:
            return self._not_found()
        encoded = base64.encodebytes(text.encode()).decode()  # GitHub wraps at 60 columns
        return web.json_response(
            {
                "type": "file",
                "encoding": "base64",
                "size": len(text.encode()),
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "content": encoded,
                "sha": "2" * 40,
                "url": f"{self._base(request)}/contents/{path}?ref={commit.sha}",
                "git_url": None,
                "html_url": None,
                "download_url": None,
            }
        )


# --------------------------------------------------------------------------- the story

SHA_PREV = "a" * 40
SHA_DOCS = "b1" * 20
SHA_CULPRIT = "c0ffee" + "1" * 34
SHA_DEPLOY = "d2" * 20

PROD_YAML = """\
database:
  pool_size: 20
  timeout_s: 5
features:
  line_item_discounts: true
"""
PROD_ENV = "LOG_LEVEL=info\nPAYMENTS_TIMEOUT_S=5\n"

CULPRIT_PATCH = """\
@@ -38,7 +38,9 @@ class Cart:
     def apply_discount(self, subtotal):
-        rate = DISCOUNTS.get(self.code, 0)
-        return subtotal * (1 - rate)
+        total = subtotal
+        for line in self.lines:
+            rate = DISCOUNTS[line["sku"]]
+            total -= line["price"] * rate
+        return total
"""


def checkout_repo(*, big_patch_bytes: int = 0, env_file_at_prev: str | None = None) -> GitHubData:
    """GitHub's side of the bad-deploy story: v1.4.1 adds per-line discounts that assume `sku`.

    Args:
        big_patch_bytes: when > 0, the dependency bump carries a patch this large (caps test).
        env_file_at_prev: overrides `.env.production` at the previous revision (parse errors).
    """
    t0 = DEPLOYED_AT - timedelta(hours=4)
    lockfile_patch = "@@ -1,3 +1,3 @@\n-httpx==0.27.0\n+httpx==0.27.2\n"
    if big_patch_bytes:
        lockfile_patch += "".join(f"+pkg{n}==1.0.{n}\n" for n in range(big_patch_bytes // 14 + 1))
    history = [
        FakeCommit(SHA_PREV, "Release v1.4.0", "ana", t0 - timedelta(days=2)),
        FakeCommit(
            SHA_DOCS,
            "Document the discount codes",
            "ben",
            t0 + timedelta(minutes=10),
            [
                {
                    "filename": "docs/discounts.md",
                    "status": "modified",
                    "additions": 4,
                    "deletions": 0,
                    "patch": "@@ -1,2 +1,6 @@\n # Discounts\n+Codes apply per order.\n",
                }
            ],
        ),
        FakeCommit(
            SHA_CULPRIT,
            "Apply discounts per line item",
            "carla",
            t0 + timedelta(hours=1),
            [
                {
                    "filename": "checkout/cart.py",
                    "status": "modified",
                    "additions": 5,
                    "deletions": 2,
                    "patch": CULPRIT_PATCH,
                },
                {
                    "filename": "tests/test_cart.py",
                    "status": "modified",
                    "additions": 6,
                    "deletions": 0,
                    "patch": "@@ -10,0 +10,6 @@\n+def test_line_discount():\n+    ...\n",
                },
            ],
        ),
        FakeCommit(
            SHA_DEPLOY,
            "Bump httpx to 0.27.2",
            "dev-bot",
            t0 + timedelta(hours=2),
            [
                {
                    "filename": "requirements.txt",
                    "status": "modified",
                    "additions": 1,
                    "deletions": 1,
                    "patch": lockfile_patch,
                }
            ],
        ),
    ]
    contents = {}
    for sha in (SHA_PREV, SHA_DEPLOY):
        contents[("config/production.yaml", sha)] = PROD_YAML
        contents[(".env.production", sha)] = PROD_ENV
    if env_file_at_prev is not None:
        contents[(".env.production", SHA_PREV)] = env_file_at_prev
    return GitHubData(
        owner="acme",
        name="checkout-api",
        history=history,
        deployments=[
            {
                "id": 101,
                "sha": SHA_PREV,
                "ref": "v1.4.0",
                "environment": "production",
                "created_at": t0 - timedelta(days=2, hours=-1),
            },
            {
                "id": 150,
                "sha": SHA_DOCS,
                "ref": "main",
                "environment": "staging",
                "created_at": t0 + timedelta(minutes=30),
            },
            {
                "id": 102,
                "sha": SHA_DEPLOY,
                "ref": "v1.4.1",
                "environment": "production",
                "created_at": DEPLOYED_AT,
            },
        ],
        tags=[("v1.4.1", SHA_DEPLOY), ("v1.4.0", SHA_PREV)],
        releases=[
            {
                "id": 9,
                "name": "Spring sale release",
                "tag_name": "v1.4.1",
                "published_at": DEPLOYED_AT,
            },
            {
                "id": 8,
                "name": "v1.4.0",
                "tag_name": "v1.4.0",
                "published_at": t0 - timedelta(days=2),
            },
        ],
        contents=contents,
    )


def integration_settings(
    github: FakeGitHub | None = None, sentry: Any = None, **overrides: Any
) -> Any:
    """`IntegrationSettings` pointing at the given fakes, tuned for tests (no retry waits).

    A fake left out leaves that source unconfigured.
    """
    from sre.integrations.settings import IntegrationSettings

    values: dict[str, Any] = {
        "http_retries": 0,
        "retry_backoff": 0.0,
        "http_timeout": 5.0,
        "github_seconds_between_requests": None,
        "config_paths": "config/production.yaml,.env.production",
        # Explicit blanks: an unconfigured source must not be picked up from the environment.
        "github_token": "",
        "github_repository": "",
        "sentry_auth_token": "",
        "sentry_org": "",
        "sentry_project": "",
    }
    if github is not None:
        values.update(
            github_api_url=github.url,
            github_token=github.token,
            github_repository=f"{github.data.owner}/{github.data.name}",
        )
    if sentry is not None:
        values.update(
            sentry_url=sentry.url,
            sentry_auth_token=sentry.token,
            sentry_org=sentry.data.org,
            sentry_project=sentry.data.project_slug,
        )
    values.update(overrides)
    return IntegrationSettings(_env_file=None, **values)  # type: ignore[call-arg]
