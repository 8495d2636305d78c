"""The engine room's operations in the admin (issues 14 and 15): an Engineer records a sludge
disposal (its draft entry is signed on the entry's page), a second scheduled sounding is refused
next to its Kind field, a free-text Code I remark has no item number, calibration table versions
are viewed, never edited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from soundings.models import OrbEntry, SludgeDisposal, WeeklySounding
from tests.conftest import PASSWORD, at, record_sounding


def url(name, *args):
    return reverse(f"admin:soundings_{name}", args=args)


def split(name, when):
    local = timezone.localtime(when)
    return {f"{name}_0": local.date().isoformat(), f"{name}_1": local.strftime("%H:%M:%S")}


@pytest.fixture
def engineer(make_officer):
    return make_officer("eng", group="Engineer")


def disposal_post(tank, **overrides):
    data = {
        "method": "12.1",
        "tank": tank.pk,
        **split("instant", timezone.now() - timedelta(hours=1)),
        "quantity_m3": "1.50",
        "facility": "Harbour Oil Services, Rotterdam",
        "receipt_reference": "R-0311",
        "to_tank": "",
        "hours": "",
        "other_method": "",
        "engineer_name": "J. Smith",
        "engineer_title": "2nd Engineer",
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def form_errors(response):
    return response.context["adminform"].form.errors


def test_an_engineer_records_a_disposal_and_signs_its_entry(client, engineer, tanks):
    client.force_login(engineer)
    form = client.get(url("sludgedisposal_add")).context["adminform"].form
    assert [t.designation for t in form.fields["tank"].queryset] == ["17S"]  # from sludge tanks only
    assert [t.designation for t in form.fields["to_tank"].queryset] == ["17P", "17S"]
    response = client.post(url("sludgedisposal_add"), disposal_post(tanks["17S"]))
    assert response.status_code == 302
    disposal = SludgeDisposal.objects.get()
    assert disposal.created_by == engineer
    entry = disposal.entries.get()
    assert (entry.code, entry.item, entry.state, entry.created_by) == ("C", "12.1", "draft", engineer)
    assert entry.text == (
        "1.50 m³ sludge from 17S Dirty Oil Tank discharged to reception facility Harbour Oil Services, Rotterdam, "
        "receipt R-0311"
    )
    assert client.post(url("orbentry_sign", entry.pk), {"password": PASSWORD}).status_code == 302
    assert OrbEntry.objects.get(pk=entry.pk).is_signed
    # Recorded: viewed, never changed or deleted.
    assert client.get(url("sludgedisposal_change", disposal.pk)).status_code == 200
    assert client.post(url("sludgedisposal_change", disposal.pk), disposal_post(tanks["17S"])).status_code == 403
    assert client.post(url("sludgedisposal_delete", disposal.pk), {"post": "yes"}).status_code == 403
    assert SludgeDisposal.objects.count() == 1


def test_a_disposal_without_its_details_is_refused_next_to_the_field(client, engineer, tanks):
    client.force_login(engineer)
    response = client.post(url("sludgedisposal_add"), disposal_post(tanks["17S"], method="12.3", facility=""))
    assert response.status_code == 200
    assert form_errors(response) == {
        "hours": ["12.3 incinerated needs the incinerator hours."],
        "receipt_reference": ["Leave this empty for 12.3 incinerated; it belongs to 12.1 to a reception facility."],
    }
    assert not SludgeDisposal.objects.exists() and not OrbEntry.objects.exists()


def sounding_post(tank, when, **overrides):
    data = {
        "tank": tank.pk,
        "kind": "scheduled",
        **split("recorded_at", when),
        "feet": "1",
        "inches": "6",
        "quarters": "2",
        "manual_collection_m3": "",
        "manual_collection_source": "",
        "engineer_name": "J. Smith",
        "engineer_title": "2nd Engineer",
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_a_second_scheduled_sounding_is_refused_next_to_kind_and_taken_as_a_re_sounding(client, engineer, tanks):
    client.force_login(engineer)
    when = timezone.now() - timedelta(minutes=30)
    record_sounding(tanks["17S"], feet=1, inches=6, when=when - timedelta(minutes=1))
    response = client.post(url("weeklysounding_add"), sounding_post(tanks["17S"], when))
    assert response.status_code == 200
    [message] = form_errors(response)["kind"]
    assert message.startswith("17S already has its scheduled sounding on ") and message.endswith(
        "record this one as a re-sounding."
    )
    assert WeeklySounding.objects.count() == 1
    response = client.post(url("weeklysounding_add"), sounding_post(tanks["17S"], when, kind="re-sounding"))
    assert response.status_code == 302
    again = WeeklySounding.objects.get(kind="re-sounding")
    assert (again.quarters, again.gallons, again.created_by) == (2, 646, engineer)
    assert "re-sounding" in client.get(url("weeklysounding_changelist")).content.decode()


def test_a_sounding_in_the_future_is_refused_next_to_its_time(client, engineer, tanks):
    client.force_login(engineer)
    response = client.post(url("weeklysounding_add"), sounding_post(tanks["17S"], timezone.now() + timedelta(days=2)))
    assert response.status_code == 200
    assert "lies in the future" in form_errors(response)["recorded_at"][0]
    assert not WeeklySounding.objects.exists()


def test_a_free_text_code_i_remark_in_the_admin(client, engineer):
    client.force_login(engineer)
    when = split("instant", timezone.now() - timedelta(hours=2))
    remark = {"code": "I", "item": "34.1", "text": "Bilge well alarms tested.", **when}
    response = client.post(url("orbentry_add"), remark)
    assert response.status_code == 200
    assert form_errors(response)["item"] == ["Code I entries have no item numbers; leave the item empty."]
    response = client.post(url("orbentry_add"), {**remark, "item": ""})
    assert response.status_code == 302
    entry = OrbEntry.objects.get()
    assert (entry.code, entry.item, entry.state, entry.created_by) == ("I", "", "draft", engineer)
    assert client.post(url("orbentry_sign", entry.pk), {"password": PASSWORD}).status_code == 302
    assert OrbEntry.objects.get().is_signed


def test_calibration_versions_are_viewed_and_a_used_version_is_not_edited(client, make_user, tanks):
    client.force_login(make_user("chief", group="Chief Engineer"))
    version = tanks["17S"].current_version
    page = client.get(url("calibrationversion_changelist")).content.decode()
    assert "17S" in page and version.sha256[:12] in page
    assert client.get(url("calibrationversion_add")).status_code == 403
    row = version.rows.get(feet=1, inches=0)
    assert client.get(url("calibrationrow_change", row.pk)).status_code == 200  # not in use yet
    record_sounding(tanks["17S"], feet=1, inches=0)
    response = client.post(
        url("calibrationrow_change", row.pk),
        {"tank": tanks["17S"].pk, "version": version.pk, "feet": 1, "inches": 0, "gallons": "1"},
    )
    assert response.status_code == 403
    assert client.post(url("calibrationrow_delete", row.pk), {"post": "yes"}).status_code == 403
    assert version.rows.get(feet=1, inches=0).gallons == 323


def test_the_versions_list_counts_each_versions_rows_and_soundings(client, make_user, tanks):
    client.force_login(make_user("chief", group="Chief Engineer"))
    version = tanks["17S"].current_version
    for week in range(3):
        record_sounding(tanks["17S"], feet=1, inches=week, when=at(2025, 3, 2 + 7 * week, 10, 0))
    rows = version.rows.count()
    assert rows > 3  # each row counted once, not once per sounding that read the version
    listed = client.get(url("calibrationversion_changelist")).context["cl"].result_list
    counts = {v.pk: (v._rows, v._soundings) for v in listed}
    assert counts[version.pk] == (rows, 3)
    other = tanks["17P"].current_version
    assert counts[other.pk] == (other.rows.count(), 0)
