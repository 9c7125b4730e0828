from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import Role
from tinhso.core.dates import FormDateField
from tinhso.directory.models import Agency, OrgUnit, Position
from tinhso.directory.services import AGENCY_ROLES


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Từ khóa"), required=False, max_length=200)


class ImportForm(forms.Form):
    table = forms.ChoiceField(
        label=_("Bảng"),
        choices=[("agencies", _("Cơ quan")), ("admin_units", _("Đơn vị hành chính"))],
        initial="agencies",
    )
    file = forms.FileField(
        label=_("Tệp CSV"),
        help_text=_(
            "UTF-8 (có hoặc không có BOM), dòng đầu là tiêu đề. Cơ quan: code, legacy_code, "
            "name, short_name, kind, parent_code, admin_unit_code, address, phone, email, "
            "website, status, successor_code. Đơn vị hành chính: code, name, level, "
            "parent_code, is_active, valid_to, successor_code. Tệp có lỗi sẽ không được nhập "
            "dòng nào."
        ),
    )


class BootstrapForm(forms.Form):
    """Adds Bootstrap classes to the widgets (templates render fields as they are)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css


class AgencyEditForm(BootstrapForm):
    name = forms.CharField(label=_("Tên cơ quan"), max_length=255)
    short_name = forms.CharField(label=_("Tên viết tắt"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("Loại"), choices=Agency.Kind.choices)
    address = forms.CharField(label=_("Địa chỉ"), max_length=255, required=False)
    phone = forms.CharField(label=_("Điện thoại"), max_length=30, required=False)
    email = forms.CharField(label=_("Thư điện tử"), max_length=254, required=False)
    website = forms.CharField(label=_("Trang web"), max_length=200, required=False)


class ReorganiseForm(BootstrapForm):
    ACTIONS = [
        ("move", _("Chuyển sang cơ quan chủ quản khác")),
        ("merge", _("Sáp nhập vào cơ quan khác")),
        ("close", _("Giải thể")),
    ]
    action = forms.ChoiceField(label=_("Thao tác"), choices=ACTIONS)
    target = forms.CharField(
        label=_("Mã định danh cơ quan đích"),
        max_length=35,
        required=False,
        help_text=_(
            "Cơ quan chủ quản mới (chuyển), cơ quan tiếp nhận (sáp nhập) hoặc cơ quan kế thừa "
            "(giải thể, có thể bỏ trống). Nhập mã theo QĐ 20/2020 hoặc QCVN 102:2016."
        ),
    )
    effective_on = FormDateField(
        label=_("Ngày hiệu lực"), widget=forms.DateInput(attrs={"type": "date"})
    )
    move_children = forms.BooleanField(
        label=_("Chuyển các cơ quan trực thuộc sang cơ quan đích"), required=False, initial=True
    )
    move_members = forms.BooleanField(
        label=_("Chuyển cán bộ (và vai trò) sang cơ quan đích"), required=False, initial=True
    )
    note = forms.CharField(label=_("Căn cứ, ghi chú"), max_length=500, required=False)


class OrgUnitForm(BootstrapForm):
    name = forms.CharField(label=_("Tên phòng, ban"), max_length=255)
    short_name = forms.CharField(label=_("Viết tắt"), max_length=30, required=False)


class AppointForm(BootstrapForm):
    username = forms.CharField(
        label=_("Tên đăng nhập"),
        max_length=150,
        help_text=_(
            "Cán bộ đã có tài khoản: chỉ cần tên đăng nhập. Tài khoản mới: nhập thêm họ tên."
        ),
    )
    full_name = forms.CharField(
        label=_("Họ và tên (tài khoản mới)"), max_length=150, required=False
    )
    email = forms.EmailField(label=_("Thư điện tử (tài khoản mới)"), required=False)
    phone = forms.CharField(label=_("Điện thoại (tài khoản mới)"), max_length=20, required=False)
    position = forms.ModelChoiceField(
        label=_("Chức vụ"), queryset=Position.objects.all(), required=False
    )
    org_unit = forms.ModelChoiceField(
        label=_("Phòng, ban"), queryset=OrgUnit.objects.none(), required=False
    )
    roles = forms.MultipleChoiceField(
        label=_("Vai trò tại cơ quan"),
        choices=[(r, Role(r).label) for r in AGENCY_ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_primary = forms.BooleanField(
        label=_("Vị trí chính (không phải kiêm nhiệm)"), required=False, initial=True
    )

    def __init__(self, *args, agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        org_unit = self.fields["org_unit"]
        assert isinstance(org_unit, forms.ModelChoiceField)
        org_unit.queryset = agency.org_units.filter(is_active=True)
        self.fields["roles"].widget.attrs.pop("class", None)
