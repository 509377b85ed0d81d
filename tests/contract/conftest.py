"""One set of scenarios, every backend: the `harness` fixture runs each
contract test once per entry of `BACKENDS`.

To add a backend, add one entry: its name and the dotted path of a factory
`(request: pytest.FixtureRequest) -> Harness` (see `harness.py`), e.g.
`"v8": "tests.v8_support.contract_harness"`. v8 runs twice, once per
V8_MESSAGES: `site` (the default: the site's own email) and `rtevent`
(Message Center events). Contract test modules carry
`pytest.mark.django_db(transaction=True)`, so the database is the test one.

After each test, a harness with an `audit` (acs: Adobe's OpenAPI document)
checks every request that reached Campaign; a request it does not allow is
an error of that test.
"""

from collections.abc import Iterator

import pytest
from django.utils.module_loading import import_string

from .harness import Harness

BACKENDS: dict[str, str] = {
    "local": "tests.contract.harness.local_harness",
    "acs": "tests.contract.harness.acs_harness",
    "v8": "tests.v8_support.contract_harness",
    "v8-rtevent": "tests.v8_support.contract_harness_rtevent",
}


@pytest.fixture(params=list(BACKENDS))
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    factory = import_string(BACKENDS[request.param])
    made: Harness = factory(request)
    yield made
    if made.audit is not None:
        problems = made.audit()
        assert not problems, f"{made.name}: requests its published API does not allow:\n" + "\n".join(
            problems
        )
