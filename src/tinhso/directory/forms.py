from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.directory.models import Agency


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Từ khóa"), required=False, max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp CSV bảng cơ quan"),
        help_text=_(
            "UTF-8 (có hoặc không có BOM), dòng đầu là tiêu đề: code, legacy_code, name, "
            "short_name, kind, parent_code, admin_unit_code, address, phone, email, website, "
            "status, successor_code. Tệp có lỗi sẽ không được nhập dòng nào."
        ),
    )


class AgencyEditForm(forms.Form):
    name = forms.CharField(label=_("Tên cơ quan"), max_length=255)
    short_name = forms.CharField(label=_("Tên viết tắt"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("Loại"), choices=Agency.Kind.choices)
    address = forms.CharField(label=_("Địa chỉ"), max_length=255, required=False)
    phone = forms.CharField(label=_("Điện thoại"), max_length=30, required=False)
    email = forms.CharField(label=_("Thư điện tử"), max_length=254, required=False)
    website = forms.CharField(label=_("Trang web"), max_length=200, required=False)
