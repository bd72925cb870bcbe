"""The publish contract every provider follows (mixed into `providers.base.Provider`).

publish() = resumable preparation steps (each saved with save_step before the next; a step
that must wait raises StepPending), then exactly one irreversible create call made through
create_once(), which records an "about to create" marker first. Whoever runs publish (the
engine) decides between published, retry and reconciliation; after an unknown outcome it
asks find_published() whether the post exists.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from socialhub.providers.errors import OutcomeUnknown, ProviderError, StepPending, TransientError
from socialhub.providers.types import (
    Credentials,
    PostPage,
    PublishRequest,
    PublishResult,
    RemotePost,
    StepSaver,
    utcnow,
)


class PublishContract:
    """Shared publish logic, tuned per platform by the class attributes below. Needs from the
    provider: `platform`, `label`, `list_posts`."""

    platform: ClassVar[str] = ""
    label: ClassVar[str] = ""

    # publish() = resumable preparation steps (each saved with save_step before the next; a
    # step that must wait raises StepPending), then exactly one irreversible create call made
    # through create_once(), which records an "about to create" marker first. Whoever runs
    # publish (the engine) decides between published, retry and reconciliation.
    CREATE_MARKER: ClassVar[str] = "creating_at"
    CREATED: ClassVar[str] = "created"
    # steps["created"]["status"] while follow-up steps remain after the create call (TikTok's
    # status polling, a Facebook video's post id, a permalink read): the platform has made
    # something that must never be made again, but publish() has no final result yet.
    FOLLOW_UP: ClassVar[str] = "created"
    # find_published: how far before the marker a post may be dated (platform clocks and
    # rounding), and how many pages of the account's recent posts to scan.
    FIND_CLOCK_SLACK: ClassVar[timedelta] = timedelta(minutes=5)
    FIND_MAX_PAGES: ClassVar[int] = 5
    FIND_PAGE_SIZE: ClassVar[int] = 50
    # False when the listing is not ordered by creation time (LinkedIn sorts by last change):
    # an older post then does not end the scan.
    FIND_NEWEST_FIRST: ClassVar[bool] = True
    # How long after the create call a post may take to show in the listing (TikTok lists a
    # video only once processed). Until then "not found" is not an answer: StepPending.
    FIND_SETTLE: ClassVar[timedelta] = timedelta(0)

    def publish(
        self, creds: Credentials, request: PublishRequest, steps: dict[str, Any], save_step: StepSaver
    ) -> PublishResult:
        """Publish resumably: record each platform-side step with save_step(steps) before the next."""
        raise NotImplementedError

    def create_once(
        self, steps: dict[str, Any], save_step: StepSaver, create: Callable[[], PublishResult]
    ) -> PublishResult:
        """Make the irreversible call at most once per target.

        Already created: the saved result. A marker without a result: an earlier attempt may
        have created the post, so OutcomeUnknown (reconcile, never resend). Otherwise the
        marker is saved, the call made, and its result saved. A call that got no answer (or an
        unreadable 2xx one) is OutcomeUnknown too; a definite refusal (the platform answered
        with an error) clears the marker so a retry may send it again. `create` may put ids it
        learns into `steps`; they are saved with the result."""
        done = steps.get(self.CREATED)
        if done:
            return PublishResult(
                status=done.get("status", "published"), post_id=done["post_id"], url=done.get("url")
            )
        if steps.get(self.CREATE_MARKER):
            raise OutcomeUnknown(
                f"An earlier attempt may already have created this {self.label} post.", platform=self.platform
            )
        steps[self.CREATE_MARKER] = utcnow().isoformat()
        save_step(steps)
        try:
            result = create()
        except OutcomeUnknown:
            raise  # the create call itself knows it may have happened: keep the marker
        except TransientError as exc:
            if exc.status is None or 200 <= exc.status < 300:  # no answer, or one we could not read
                raise OutcomeUnknown(
                    f"{self.label} did not answer the publish call; checking whether the post exists.",
                    platform=self.platform,
                ) from exc
            steps.pop(self.CREATE_MARKER, None)
            save_step(steps)
            raise
        except ProviderError:
            steps.pop(self.CREATE_MARKER, None)
            save_step(steps)
            raise
        self._save_created(steps, save_step, result)
        return result

    def finish(self, steps: dict[str, Any], save_step: StepSaver, result: PublishResult) -> PublishResult:
        """Record the final result once the follow-up steps after create_once are done."""
        self._save_created(steps, save_step, result)
        return result

    def finished(self, steps: dict[str, Any]) -> PublishResult | None:
        """The final result of an earlier attempt, or None while the create call or its
        follow-up steps are still to come."""
        done = steps.get(self.CREATED)
        if not done or done.get("status") == self.FOLLOW_UP:
            return None
        return PublishResult(status=done["status"], post_id=done["post_id"], url=done.get("url"))

    def _save_created(self, steps: dict[str, Any], save_step: StepSaver, result: PublishResult) -> None:
        steps[self.CREATED] = {"status": result.status, "post_id": result.post_id, "url": result.url}
        save_step(steps)

    @staticmethod
    def marker_time(steps: dict[str, Any]) -> datetime | None:
        """When the create call was (about to be) sent: the `since` for find_published."""
        raw = steps.get(PublishContract.CREATE_MARKER)
        return datetime.fromisoformat(raw) if raw else None

    @staticmethod
    def normalize_caption(text: str) -> str:
        """Captions as platforms echo them: whitespace collapsed, Unicode NFC."""
        return " ".join(unicodedata.normalize("NFC", text or "").split())

    def caption_to_find(self, request: PublishRequest) -> str:
        """The text the account's listing shows for this request (YouTube lists the title)."""
        return request.caption

    def find_listings(
        self, creds: Credentials, request: PublishRequest
    ) -> list[Callable[[str | None, int], PostPage]]:
        """Where a new post can appear, newest first (Facebook adds scheduled posts)."""
        return [lambda cursor, limit: self.list_posts(creds, cursor=cursor, limit=limit)]

    def find_by_steps(self, creds: Credentials, steps: dict[str, Any]) -> RemotePost | None:
        """A platform that can answer from the ids saved so far (a container, a publish id, an
        upload session) overrides this; None means "look by caption and time"."""
        return None

    def find_published(
        self,
        creds: Credentials,
        request: PublishRequest,
        since: datetime,
        steps: dict[str, Any] | None = None,
    ) -> RemotePost | None:
        """Look for a post we may have created after an unknown outcome: first by the saved
        ids, then among the account's posts since `since` (minus FIND_CLOCK_SLACK) with the
        same caption. None: the platform shows no such post. StepPending: it cannot say yet
        (still processing, or within FIND_SETTLE of `since`); ask again at retry_at."""
        steps = steps or {}
        done = self.finished(steps)
        if done is not None:
            return RemotePost(post_id=done.post_id, url=done.url, caption=request.caption)
        found = self.find_by_steps(creds, steps)
        if found is None:
            found = self._find_by_caption(creds, request, since)
        if found is None and utcnow() < since + self.FIND_SETTLE:
            raise StepPending(
                f"{self.label} may still be processing the post; looking again shortly.",
                platform=self.platform,
                retry_at=since + self.FIND_SETTLE,
            )
        return found

    def _find_by_caption(
        self, creds: Credentials, request: PublishRequest, since: datetime
    ) -> RemotePost | None:
        wanted = self.normalize_caption(self.caption_to_find(request))
        oldest = since - self.FIND_CLOCK_SLACK
        for listing in self.find_listings(creds, request):
            cursor = None
            for _ in range(self.FIND_MAX_PAGES):
                page = listing(cursor, self.FIND_PAGE_SIZE)
                older = False
                for post in page.posts:
                    if post.created_at is not None and post.created_at < oldest:
                        older = True
                        if self.FIND_NEWEST_FIRST:
                            break  # newest first: everything after this is older
                        continue
                    if self.normalize_caption(post.caption) == wanted:
                        return post
                cursor = page.next_cursor
                if not cursor or (older and self.FIND_NEWEST_FIRST):
                    break
        return None

    def list_posts(self, creds: Credentials, *, cursor: str | None = None, limit: int = 25) -> PostPage:
        raise NotImplementedError
