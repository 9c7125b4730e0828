import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from tinhso.accounts.models import User
from tinhso.accounts.services import create_official
from tinhso.directory.models import Agency, Membership
from tinhso.directory.selectors import search_people
from tinhso.directory.services import refresh_person_name


@pytest.mark.django_db
def test_renaming_an_official_in_the_admin_updates_directory_people_search():
    agency = Agency.objects.create(code="H98", name="Ủy ban nhân dân tỉnh Thử")
    official = create_official(username="cb.doiten", full_name="Nguyễn Văn Cũ")
    Membership.objects.create(user=official, agency=agency)
    refresh_person_name(user=official)
    admin_user = User.objects.create_superuser("sieuquantri", "a@example.org", "Xx12345678!")
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    model_admin = site._registry[User]
    form_class = model_admin.get_form(request, official, change=True)
    initial = form_class(instance=official).initial
    data = {k: v for k, v in initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        full_name="Trần Thị Mới", date_joined=official.date_joined.strftime("%Y-%m-%d %H:%M:%S")
    )
    form = form_class(data=data, instance=official)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)

    assert [m.user_id for m in search_people("tran thi moi")] == [official.pk]
    assert search_people("nguyen van cu") == []
