"""The default topics' wording in the languages added after they were seeded
(a translation a marketer already wrote stays)."""

from django.db import migrations

from signup_site.campaign.seed import add_topic_translations


def translate(apps, schema_editor):
    translation_model = apps.get_model("campaign", "TopicTranslation")
    for topic in apps.get_model("campaign", "Topic").objects.filter(slug__in=["newsletter", "special-offers"]):
        add_topic_translations(topic, translation_model)


class Migration(migrations.Migration):
    dependencies = [("campaign", "0011_optdown")]
    operations = [migrations.RunPython(translate, migrations.RunPython.noop)]
