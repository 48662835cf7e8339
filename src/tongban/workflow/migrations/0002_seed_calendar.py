"""Seed the working-day calendar from the chinese-calendar package (2004 on).

Self-contained on purpose: it reads the package's data directly and uses the
historical models, so it keeps working when the app's code moves on.  Years
already entered are left alone, so running it on a live database is safe.
"""

from django.db import migrations


def seed(apps, schema_editor):
    import chinese_calendar
    from chinese_calendar import constants

    CalendarDay = apps.get_model("workflow", "CalendarDay")
    CalendarYear = apps.get_model("workflow", "CalendarYear")
    zh = {h.value: h.chinese for h in constants.Holiday}
    source = f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()

    by_year = {}
    for table, kind in ((constants.holidays, "holiday"), (constants.workdays, "workday")):
        for day, name_en in table.items():
            by_year.setdefault(day.year, []).append((day, kind, zh.get(name_en, name_en), name_en))
    entered = set(CalendarYear.objects.values_list("year", flat=True))
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    days = []
    years = []
    for year in sorted(by_year):
        if year in entered:
            continue
        years.append(CalendarYear(year=year, source=source, entered_by="seed"))
        days.extend(
            CalendarDay(date=day, kind=kind, name=name[:50], name_en=name_en[:50])
            for day, kind, name, name_en in sorted(by_year[year])
            if day not in existing
        )
    CalendarDay.objects.bulk_create(days, batch_size=500)
    CalendarYear.objects.bulk_create(years)


def unseed(apps, schema_editor):
    CalendarDay = apps.get_model("workflow", "CalendarDay")
    CalendarYear = apps.get_model("workflow", "CalendarYear")
    seeded = list(CalendarYear.objects.filter(entered_by="seed").values_list("year", flat=True))
    for year in seeded:
        CalendarDay.objects.filter(date__year=year).delete()
    CalendarYear.objects.filter(year__in=seeded).delete()


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
