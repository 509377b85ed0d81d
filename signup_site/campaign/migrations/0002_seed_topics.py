"""Seed the default topics, and the matching services of the local Campaign."""

from django.db import migrations

from signup_site.campaign.seed import DEFAULT_TOPICS, seed_default_topics


def seed(apps, schema_editor):
    seed_default_topics(
        apps.get_model("campaign", "Topic"),
        apps.get_model("campaign", "TopicTranslation"),
        apps.get_model("campaign", "LocalService"),
    )


def unseed(apps, schema_editor):
    apps.get_model("campaign", "Topic").objects.filter(
        slug__in=[t["slug"] for t in DEFAULT_TOPICS], coupons__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("campaign", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
