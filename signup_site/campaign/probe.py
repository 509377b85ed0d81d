"""`manage.py campaign check`: the configured Campaign, verified end to end
before the site relies on it, each step named with what is wrong.

1. the configuration parses (`config.py`; the same as `manage.py check`);
2. the credentials and the organization or instance answer (an IMS token or a
   logon, then a list of services: one authenticated read);
3. every active topic's service exists in Campaign;
4. a profile can be read by email (an address nobody has: not found is fine);
5. every message the topics and the sign-up send has an event id or email
   templates (Campaign has no way to ask whether an event exists without
   sending one: the check stops at the configuration there).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .backends import CampaignBackend
from .checks import check_campaign_configuration
from .config import campaign_config
from .errors import CampaignError, CampaignMisconfigured, CampaignRejected
from .models import Topic

PROBE_ADDRESS = "campaign-check.nobody@example.invalid"


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str = ""
    error: CampaignError | None = None

    def as_dict(self) -> dict[str, object]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


def run_checks(make_backend: Callable[[], CampaignBackend]) -> list[Step]:
    """Each step in order, up to the first that fails among those the rest need."""
    problems = [str(message.msg) for message in check_campaign_configuration()]
    if problems:
        return [Step("configuration", False, "; ".join(problems), CampaignMisconfigured(problems[0]))]
    steps = [Step("configuration", True, campaign_config().backend)]
    try:
        backend = make_backend()
        services = {service.name for service in backend.list_services()}
    except CampaignError as error:
        return [*steps, Step("credentials and organization (list the services)", False, str(error), error)]
    steps.append(Step("credentials and organization (list the services)", True, f"{len(services)} services"))
    missing = sorted({topic.service_name for topic in Topic.objects.filter(active=True)} - services)
    if missing:
        absent = CampaignRejected(f"no service named {', '.join(missing)} in Campaign")
        steps.append(Step("the topics' services", False, str(absent), absent))
    else:
        steps.append(Step("the topics' services", True))
    try:
        backend.find_profile(PROBE_ADDRESS)
    except CampaignError as error:
        steps.append(Step("read a profile by email", False, str(error), error))
    else:
        steps.append(Step("read a profile by email", True))
    return steps
