"""The default topics, and the matching services of the local Campaign.

Used by the data migration (with historical models) and by the test suite
(after a transactional test has flushed the tables).
"""

from typing import Any

DEFAULT_TOPICS: list[dict[str, Any]] = [
    {
        "slug": "newsletter",
        "label": "Newsletter",
        "description": "Our news, once a month.",
        "service_name": "NEWSLETTER",
        "order": 10,
        "is_special_offer": False,
        "opt_in_message": "",
        "es": ("Boletín", "Nuestras novedades, una vez al mes."),
    },
    {
        "slug": "special-offers",
        "label": "Email Special Offers",
        "description": "Offers for subscribers, and a gift coupon when you join.",
        "service_name": "SPECIAL_OFFERS",
        "order": 20,
        "is_special_offer": True,
        "opt_in_message": "special-offer",
        "es": (
            "Ofertas especiales por correo",
            "Ofertas para suscriptores y un cupón de regalo al unirte.",
        ),
    },
]


def seed_default_topics(topic_model: Any, translation_model: Any, service_model: Any) -> None:
    for data in DEFAULT_TOPICS:
        fields = {key: value for key, value in data.items() if key != "es"}
        topic, created = topic_model.objects.get_or_create(slug=fields["slug"], defaults=fields)
        if created:
            label, description = data["es"]
            translation_model.objects.create(topic=topic, language="es", label=label, description=description)
        service_model.objects.get_or_create(name=fields["service_name"], defaults={"label": fields["label"]})
