"""Backends for tests: the real local backend, with a log of the calls that
reached it, or with Campaign "down" for reads or for everything."""

from typing import Any, ClassVar

from signup_site.campaign.backends.base import Message, Profile, ProfileFields
from signup_site.campaign.backends.local import LocalBackend
from signup_site.campaign.errors import CampaignUnavailable


class RecordingBackend(LocalBackend):
    calls: ClassVar[list[tuple[str, Any]]] = []

    def update_profile(self, pkey: str, fields: ProfileFields) -> None:
        self.calls.append(("update_profile", fields.changed()))
        super().update_profile(pkey, fields)

    def create_profile(self, fields: ProfileFields) -> Profile:
        self.calls.append(("create_profile", fields.changed()))
        return super().create_profile(fields)

    def subscribe(self, pkey: str, service: str) -> None:
        self.calls.append(("subscribe", service))
        super().subscribe(pkey, service)

    def unsubscribe(self, pkey: str, service: str) -> None:
        self.calls.append(("unsubscribe", service))
        super().unsubscribe(pkey, service)

    def send_message(self, message: Message) -> None:
        self.calls.append(("send_message", message.name))
        super().send_message(message)


class DownBackend(LocalBackend):
    """Campaign not answering at all."""

    def _down(self, *args: Any, **kwargs: Any) -> Any:
        raise CampaignUnavailable("Campaign is not answering")

    find_profile = get_profile = subscriptions = update_profile = _down
    create_profile = subscribe = unsubscribe = send_message = list_services = _down


class ScriptedBackend(RecordingBackend):
    """The local backend, failing as a test scripts it: `failures` maps a
    method name and a service (or "*") to the errors to raise, in turn."""

    failures: ClassVar[dict[tuple[str, str], list[Exception]]] = {}

    def _maybe_fail(self, method: str, key: str = "*") -> None:
        for candidate in ((method, key), (method, "*")):
            queue = self.failures.get(candidate)
            if queue:
                raise queue.pop(0)

    def subscribe(self, pkey: str, service: str) -> None:
        self._maybe_fail("subscribe", service)
        super().subscribe(pkey, service)

    def unsubscribe(self, pkey: str, service: str) -> None:
        self._maybe_fail("unsubscribe", service)
        super().unsubscribe(pkey, service)

    def update_profile(self, pkey: str, fields: ProfileFields) -> None:
        self._maybe_fail("update_profile")
        super().update_profile(pkey, fields)

    def send_message(self, message: Message) -> None:
        self._maybe_fail("send_message")
        super().send_message(message)
