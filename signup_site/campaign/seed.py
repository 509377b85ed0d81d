"""The default topics, and the matching services of the local Campaign.

Used by the data migrations (with historical models) and by the test suite
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
    },
    {
        "slug": "special-offers",
        "label": "Email Special Offers",
        "description": "Offers for subscribers, and a gift coupon when you join.",
        "service_name": "SPECIAL_OFFERS",
        "order": 20,
        "is_special_offer": True,
        "opt_in_message": "special-offer",
    },
]

# Each default topic's label and description in the site's other languages,
# in the register of that language's catalogue (locale/<lang>/).
TRANSLATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "newsletter": {
        "es": ("Boletín", "Nuestras novedades, una vez al mes."),
        "fr": ("Newsletter", "Nos actualités, une fois par mois."),
        "de": ("Newsletter", "Unsere Neuigkeiten, einmal im Monat."),
        "pt-br": ("Newsletter", "Nossas novidades, uma vez por mês."),
        "it": ("Newsletter", "Le nostre novità, una volta al mese."),
        "ar": ("النشرة الإخبارية", "آخر أخبارنا، مرة واحدة في الشهر."),
    },
    "special-offers": {
        "es": ("Ofertas especiales por correo", "Ofertas para suscriptores y un cupón de regalo al unirte."),
        "fr": (
            "Offres spéciales par e-mail",
            "Des offres réservées aux abonnés, et un bon de réduction offert à l’inscription.",  # noqa: RUF001
        ),
        "de": (
            "Sonderangebote per E-Mail",
            "Angebote für Abonnenten und ein Geschenkgutschein zur Anmeldung.",
        ),
        "pt-br": (
            "Ofertas especiais por e-mail",
            "Ofertas para assinantes e um cupom de presente ao se inscrever.",
        ),
        "it": ("Offerte speciali via email", "Offerte per gli iscritti e un buono regalo all’iscrizione."),  # noqa: RUF001
        "ar": ("عروض خاصة عبر البريد الإلكتروني", "عروض للمشتركين، وقسيمة هدية عند الاشتراك."),
    },
}


def seed_default_topics(topic_model: Any, translation_model: Any, service_model: Any) -> None:
    for data in DEFAULT_TOPICS:
        topic, created = topic_model.objects.get_or_create(slug=data["slug"], defaults=data)
        if created:
            add_topic_translations(topic, translation_model)
        service_model.objects.get_or_create(name=data["service_name"], defaults={"label": data["label"]})


def add_topic_translations(topic: Any, translation_model: Any) -> None:
    """The default wording of a default topic in each language it lacks (a
    marketer's own translation stays)."""
    for language, (label, description) in TRANSLATIONS.get(topic.slug, {}).items():
        translation_model.objects.get_or_create(
            topic=topic, language=language, defaults={"label": label, "description": description}
        )
