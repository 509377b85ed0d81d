"""What the abuse tests and the flood bench share: a solved proof of work, as
the widget would send it, and sign-ups posted from a chosen client."""

import altcha
from django.test import Client

from signup_site.campaign.models import Topic


def solved_proof(client: Client) -> str:
    """Fetch a challenge from the site and solve it, as the widget does."""
    response = client.get("/challenge/")
    assert response.status_code == 200, response.content[:500]
    challenge = altcha.Challenge.from_dict(response.json())
    solution = altcha.solve_challenge(challenge)
    assert solution is not None, "the challenge could not be solved"
    return altcha.Payload(challenge, solution).to_base64()


def post_signup(
    client: Client, email: str, topic: Topic, *, ip: str = "203.0.113.7", proof: str = "", **extra: str
) -> int:
    """POST the sign-up form from the client at `ip`; the status code."""
    data = {"email": email, "language": "en", "topics": [str(topic.pk)], "altcha": proof, **extra}
    return client.post("/signup/", data, REMOTE_ADDR=ip).status_code
