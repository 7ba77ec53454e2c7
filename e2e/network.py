"""A phone's network as the field has it: 2G in a stairwell, and a network that takes requests and never answers.

Measured on Playwright 1.65 with Debian's Chromium (issue 14): `Network.emulateNetworkConditions` sent on a page's
CDP session slows the page's own requests but not its service worker's, which fetches every page the worker
answers (a page took 0.85 s "on 2G"); so the conditions go to the worker's target too, through the browser's CDP
session. `context.route` does see the worker's requests (a held navigation made the worker show the offline page
after its timeout), so a stall is a context route that holds requests without answering them.
"""

from __future__ import annotations

import contextlib
import json

from playwright.sync_api import Browser, BrowserContext, Error, Page, Route

# 2G as the issue measures it: ~2 s latency, ~50 kbit/s each way (bytes per second for CDP).
TWO_G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000 / 8, "uploadThroughput": 50_000 / 8}
NORMAL = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


class PhoneNetwork:
    """The network of one phone (a browser context): its page and its service worker."""

    def __init__(self, browser: Browser, page: Page) -> None:
        self.page = page
        self.root = browser.new_browser_cdp_session()
        self.page_session = page.context.new_cdp_session(page)
        self.page_session.send("Network.enable")
        info = self.page_session.send("Target.getTargetInfo")["targetInfo"]
        self.context_id = info["browserContextId"]
        self.held: list[Route] = []
        self._message = 0

    def _worker_sessions(self) -> list[str]:
        """CDP sessions attached to this phone's service workers (attached again each time: a worker that was
        stopped and started is a new target)."""
        targets = self.root.send("Target.getTargets")["targetInfos"]
        workers = [
            t["targetId"]
            for t in targets
            if t["type"] == "service_worker" and t.get("browserContextId") == self.context_id
        ]
        assert workers, "no service worker controls this phone yet"
        return [
            self.root.send("Target.attachToTarget", {"targetId": target, "flatten": False})["sessionId"]
            for target in workers
        ]

    def _send_to_workers(self, method: str, params: dict) -> None:
        for session in self._worker_sessions():
            for name, args in (("Network.enable", {}), (method, params)):
                self._message += 1
                message = {"id": 900_000 + self._message, "method": name, "params": args}
                self.root.send("Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(message)})

    def two_g(self) -> None:
        """~2 s latency and ~50 kbit/s for the page and its service worker."""
        self.page_session.send("Network.emulateNetworkConditions", TWO_G)
        self._send_to_workers("Network.emulateNetworkConditions", TWO_G)

    def normal(self) -> None:
        self.page_session.send("Network.emulateNetworkConditions", NORMAL)
        self._send_to_workers("Network.emulateNetworkConditions", NORMAL)

    def stall(self) -> None:
        """From now on every request (the service worker's too) reaches the network and is never answered."""
        self.page.context.route("**/*", lambda route: self.held.append(route))

    def recover(self) -> int:
        """The network answers again, the held requests included (late: their pages may be gone). Returns how
        many requests were held."""
        self.page.context.unroute("**/*")
        held, self.held = self.held, []
        for route in held:
            # The page or worker that asked may be gone (navigated away): nothing is then left to answer.
            with contextlib.suppress(Error):
                route.continue_()
        return len(held)


PHOTOS = "**/errands/*/photos"


class HangingPhotos:
    """Photo uploads go into a network that never answers (the page's and the service worker's); with
    `answers_lost`, the server takes each one and its answer never comes back. Once the network answers again, new
    requests are answered; those held stay unanswered, as on a connection that dropped."""

    def __init__(self, context: BrowserContext, *, answers_lost: bool = False) -> None:
        self.answers_lost = answers_lost
        self.answering = False
        self.held: list[Route] = []
        self.seen = 0
        context.route(PHOTOS, self._handle)

    def _handle(self, route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        self.seen += 1
        if self.answering:
            route.continue_()
            return
        if self.answers_lost:
            route.fetch()
        self.held.append(route)
