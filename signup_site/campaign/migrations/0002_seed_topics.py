"""Seed the default topics, and the matching services of the local Campaign."""

from django.db import migrations

TOPICS = [
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


def seed(apps, schema_editor):
    Topic = apps.get_model("campaign", "Topic")
    TopicTranslation = apps.get_model("campaign", "TopicTranslation")
    LocalService = apps.get_model("campaign", "LocalService")
    for data in TOPICS:
        data = dict(data)
        es_label, es_description = data.pop("es")
        topic, created = Topic.objects.get_or_create(slug=data["slug"], defaults=data)
        if created:
            TopicTranslation.objects.create(
                topic=topic, language="es", label=es_label, description=es_description
            )
        LocalService.objects.get_or_create(name=data["service_name"], defaults={"label": data["label"]})


def unseed(apps, schema_editor):
    apps.get_model("campaign", "Topic").objects.filter(
        slug__in=[t["slug"] for t in TOPICS], coupons__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("campaign", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
