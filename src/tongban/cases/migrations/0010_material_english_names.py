"""Case materials carry the English name of the guide they were created under."""

from typing import Any

from django.db import migrations, models


def names_from_the_catalogue(apps: Any, schema_editor: Any) -> None:
    """Existing materials take the English name of their matter's requirement, where it has one."""
    case_material = apps.get_model("cases", "CaseMaterial")
    requirement = apps.get_model("catalog", "MaterialRequirement")
    english = {
        (matter_id, code): name_en
        for matter_id, code, name_en in requirement.objects.exclude(name_en="").values_list(
            "matter_id", "code", "name_en"
        )
    }
    pairs = (
        case_material.objects.filter(name_en="")
        .values_list("case__matter_id", "requirement_code")
        .distinct()
    )
    for matter_id, code in list(pairs):
        name_en = english.get((matter_id, code))
        if name_en:
            case_material.objects.filter(
                name_en="", case__matter_id=matter_id, requirement_code=code
            ).update(name_en=name_en)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_evaluation_follow_up_task"),
        ("catalog", "0002_english_descriptions_and_addresses"),
    ]

    operations = [
        migrations.AddField(
            model_name="casematerial",
            name="name_en",
            field=models.CharField(blank=True, max_length=300, verbose_name="英文材料名称"),
        ),
        migrations.RunPython(names_from_the_catalogue, migrations.RunPython.noop),
    ]
