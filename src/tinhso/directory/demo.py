"""Demo province of the directory: "Tỉnh Sông Lam" (fictional), loaded by `tinhso demo`.

Shape: the 2025 two-level model (Luật 72/2025/QH15) — the province and its communes and
wards, no districts. History is kept to show reorganisations:

- three former district-level units (Huyện Lam Sơn, Huyện Thạch Phong, Thị xã Đông Lam)
  were created in 2008 and abolished on 2025-07-01; each had two communes that were merged
  into a new commune/ward on that day, which is also the district's recorded successor;
- the March 2025 reform of provincial departments: Sở Kế hoạch và Đầu tư merged into Sở
  Tài chính, Sở Giao thông vận tải into Sở Xây dựng, Sở Tài nguyên và Môi trường into Sở
  Nông nghiệp và Phát triển nông thôn (renamed Sở Nông nghiệp và Môi trường), Sở Thông tin
  và Truyền thông into Sở Khoa học và Công nghệ (its IT centre moved with it), Sở Lao động -
  Thương binh và Xã hội into Sở Nội vụ; Ban Dân tộc renamed Sở Dân tộc và Tôn giáo.

Codes: statistics code 99 (no real province has it). Agency codes (Decision 20 form):
UBND tỉnh H99, HĐND tỉnh K99, provincial agencies H99.NN, units below them H99.NN.MM,
former districts H99.40–42 and their communes H99.4d.0m, communes/wards H99.51–H99.80.
The QCVN 102 form is derived: H99.NN ↔ 000.00.NN.H99, H99.NN.MM ↔ 000.MM.NN.H99.
Administrative units: province 99, former districts 990–992, former communes 99001–99006,
communes/wards 99101–99130.

Usernames (all people are fictional; names are generated from name parts):
``<post>.<agency slug>`` — post is one of

- ``lanhdao`` head (Chủ tịch / Giám đốc / Chánh Thanh tra / Trưởng ban…), role leader
- ``pholanhdao`` (and ``pholanhdao2`` at UBND tỉnh) deputy head, role leader
- ``truongphong`` head of the first phòng, role leader in that org unit
- ``vanthu`` clerk (văn thư), role clerk
- ``chuyenvien`` / ``chuyenvien2`` specialists, role specialist
- ``motcua`` one-stop officer, role onestop_officer; a department's ``motcua`` is also
  posted at the Trung tâm Phục vụ hành chính công tỉnh (two memberships)
- ``quantri`` agency administrator, role agency_admin

Agency slugs: ``ubnd`` (UBND tỉnh), ``hdnd``, ``vpubnd``, ``snv``, ``stc``, ``stp``, ``sxd``,
``snnmt``, ``syt``, ``sgddt``, ``sct``, ``skhcn``, ``svhttdl``, ``sdttg``, ``sngv``, ``ttr``,
``bqlkkt``, ``ttphvhcc``, ``dptth``, units ``ttcntt``, ``bvdk``, ``thptc``, ``cckl``;
communes ``x<name>`` and wards ``p<name>`` without spaces or diacritics (``xanson``,
``psonglam``). Examples: ``lanhdao.stc``, ``vanthu.stc``, ``chuyenvien.stc``,
``motcua.ttphvhcc``, ``lanhdao.xanson``. The platform administrator is ``admin``.
Citizens: ``congdan.an``, ``congdan.binh``, ``congdan.chi``; business ``doanhnghiep.songlam``.

Passwords and TOTP secrets are set by accounts/demo.py, not here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tinhso.accounts.models import Role, User
from tinhso.core.text import fold
from tinhso.directory import services
from tinhso.directory.models import AdministrativeUnit, Agency, Membership, OrgUnit, Position

K = Agency.Kind
L = AdministrativeUnit.Level
FOUNDED = dt.date(2008, 4, 1)
DEPT_REFORM = dt.date(2025, 3, 1)
TWO_LEVEL = dt.date(2025, 7, 1)
DOMAIN = "songlam.example"
PROVINCE = "Sông Lam"

POSITIONS = [
    # name, rank, is_leader
    ("Chủ tịch", 10, True),
    ("Giám đốc", 10, True),
    ("Chánh Văn phòng", 10, True),
    ("Chánh Thanh tra", 10, True),
    ("Trưởng ban", 10, True),
    ("Phó Chủ tịch", 20, True),
    ("Phó Giám đốc", 20, True),
    ("Phó Chánh Văn phòng", 20, True),
    ("Phó Chánh Thanh tra", 20, True),
    ("Phó Trưởng ban", 20, True),
    ("Trưởng phòng", 30, True),
    ("Chuyên viên", 60, False),
    ("Cán bộ một cửa", 65, False),
    ("Văn thư", 70, False),
    ("Quản trị hệ thống", 80, False),
]
HEAD_TITLES = {
    "peoples_committee": ("Chủ tịch", "Phó Chủ tịch"),
    "peoples_council": ("Chủ tịch", "Phó Chủ tịch"),
    "ttr": ("Chánh Thanh tra", "Phó Chánh Thanh tra"),
    "vpubnd": ("Chánh Văn phòng", "Phó Chánh Văn phòng"),
    "bqlkkt": ("Trưởng ban", "Phó Trưởng ban"),
}


@dataclass
class Dept:
    num: int
    name: str
    short: str
    slug: str
    kind: str = K.DEPARTMENT
    units: list[str] = field(default_factory=list)


DEPARTMENTS = [
    Dept(
        1,
        "Văn phòng Ủy ban nhân dân tỉnh",
        "VPUBND",
        "vpubnd",
        units=["Phòng Tổng hợp", "Phòng Kinh tế", "Phòng Khoa giáo - Văn xã"],
    ),
    Dept(
        2,
        "Sở Nội vụ",
        "SNV",
        "snv",
        units=["Phòng Tổ chức, biên chế", "Phòng Công chức, viên chức", "Phòng Lao động"],
    ),
    Dept(
        3,
        "Sở Tài chính",
        "STC",
        "stc",
        units=["Phòng Quản lý ngân sách", "Phòng Đầu tư", "Phòng Tài chính doanh nghiệp"],
    ),
    Dept(4, "Sở Tư pháp", "STP", "stp", units=["Phòng Hành chính tư pháp", "Phòng Bổ trợ tư pháp"]),
    Dept(
        5, "Sở Xây dựng", "SXD", "sxd", units=["Phòng Quản lý xây dựng", "Phòng Quản lý giao thông"]
    ),
    Dept(
        6,
        "Sở Nông nghiệp và Phát triển nông thôn",
        "SNNPTNT",
        "snnmt",
        units=["Phòng Kế hoạch - Tài chính", "Phòng Quản lý đất đai"],
    ),
    Dept(7, "Sở Y tế", "SYT", "syt", units=["Phòng Nghiệp vụ Y", "Phòng Nghiệp vụ Dược"]),
    Dept(
        8,
        "Sở Giáo dục và Đào tạo",
        "SGDĐT",
        "sgddt",
        units=["Phòng Giáo dục trung học", "Phòng Giáo dục tiểu học"],
    ),
    Dept(
        9,
        "Sở Công Thương",
        "SCT",
        "sct",
        units=["Phòng Quản lý thương mại", "Phòng Quản lý công nghiệp"],
    ),
    Dept(
        10,
        "Sở Khoa học và Công nghệ",
        "SKHCN",
        "skhcn",
        units=["Phòng Quản lý khoa học", "Phòng Chuyển đổi số"],
    ),
    Dept(
        11,
        "Sở Văn hóa, Thể thao và Du lịch",
        "SVHTTDL",
        "svhttdl",
        units=["Phòng Quản lý văn hóa", "Phòng Quản lý du lịch"],
    ),
    Dept(12, "Ban Dân tộc", "BDT", "sdttg", units=["Phòng Chính sách dân tộc"]),
    Dept(13, "Sở Ngoại vụ", "SNgV", "sngv", units=["Phòng Lãnh sự"]),
    Dept(
        14,
        "Thanh tra tỉnh",
        "TTr",
        "ttr",
        units=["Phòng Tiếp công dân, xử lý đơn", "Phòng Nghiệp vụ 1"],
    ),
    Dept(
        15,
        "Ban Quản lý các khu kinh tế",
        "BQLKKT",
        "bqlkkt",
        units=["Phòng Quản lý đầu tư", "Phòng Quản lý doanh nghiệp"],
    ),
    Dept(
        16,
        "Trung tâm Phục vụ hành chính công tỉnh",
        "TTPVHCC",
        "ttphvhcc",
        kind=K.SERVICE_CENTRE,
        units=["Phòng Tiếp nhận và trả kết quả"],
    ),
    Dept(
        17,
        "Đài Phát thanh và Truyền hình tỉnh",
        "ĐPTTH",
        "dptth",
        kind=K.PUBLIC_UNIT,
        units=["Phòng Thời sự"],
    ),
]
# Renamed in the March 2025 reform: slug -> (new name, new short name)
RENAMES = {
    "snnmt": ("Sở Nông nghiệp và Môi trường", "SNNMT"),
    "sdttg": ("Sở Dân tộc và Tôn giáo", "SDTTG"),
}
# Merged in the March 2025 reform: (num, name, short, successor slug)
MERGED_DEPARTMENTS = [
    (18, "Sở Giao thông vận tải", "SGTVT", "sxd"),
    (19, "Sở Kế hoạch và Đầu tư", "SKHĐT", "stc"),
    (20, "Sở Tài nguyên và Môi trường", "STNMT", "snnmt"),
    (21, "Sở Thông tin và Truyền thông", "STTTT", "skhcn"),
    (22, "Sở Lao động - Thương binh và Xã hội", "SLĐTBXH", "snv"),
]
# Units below provincial agencies: (parent slug or merged num, num, name, short, slug, kind)
SUB_UNITS = [
    (21, 1, "Trung tâm Công nghệ thông tin và Truyền thông", "TTCNTT", "ttcntt"),
    ("syt", 1, "Bệnh viện Đa khoa tỉnh", "BVĐK", "bvdk"),
    ("sgddt", 1, "Trường Trung học phổ thông chuyên Sông Lam", "THPTC", "thptc"),
    ("snnmt", 1, "Chi cục Kiểm lâm", "CCKL", "cckl"),
]
# Communes and wards after 2025-07-01: (kind "xa"/"phuong", name)
COMMUNES = [
    ("phuong", "Sông Lam"),
    ("phuong", "Lam Hà"),
    ("phuong", "Đông Lam"),
    ("phuong", "Bến Lam"),
    ("phuong", "Hồng Lam"),
    ("phuong", "Trung Lam"),
    ("xa", "An Sơn"),
    ("xa", "Bình Lĩnh"),
    ("xa", "Hòa Thủy"),
    ("xa", "Phú Lộc"),
    ("xa", "Tân Yên"),
    ("xa", "Thạch Phong"),
    ("xa", "Thanh Xuân"),
    ("xa", "Kim Đức"),
    ("xa", "Ngọc Hà"),
    ("xa", "Minh Sơn"),
    ("xa", "Đông Phong"),
    ("xa", "Tây Sơn"),
    ("xa", "Nam Lĩnh"),
    ("xa", "Bắc Thủy"),
    ("xa", "Yên Lạc"),
    ("xa", "Xuân Hòa"),
    ("xa", "Lam Sơn"),
    ("xa", "Vạn Lộc"),
    ("xa", "Hưng Phú"),
    ("xa", "Cẩm Lĩnh"),
    ("xa", "Quỳnh Lam"),
    ("xa", "Diễn Thủy"),
    ("xa", "Kỳ Sơn"),
    ("xa", "Hương Lam"),
]
COMMUNE_UNITS = {
    "xa": ["Văn phòng HĐND và UBND", "Phòng Kinh tế", "Phòng Văn hóa - Xã hội"],
    "phuong": [
        "Văn phòng HĐND và UBND",
        "Phòng Kinh tế, Hạ tầng và Đô thị",
        "Phòng Văn hóa - Xã hội",
    ],
}
# Former district-level units: (num, name, admin code, old communes, successor commune)
DISTRICTS = [
    (40, "Huyện Lam Sơn", "990", ["Lam Thượng", "Lam Hạ"], "Lam Sơn"),
    (41, "Huyện Thạch Phong", "991", ["Thạch Đông", "Thạch Tây"], "Thạch Phong"),
    (42, "Thị xã Đông Lam", "992", ["Đông Hải", "Đông Thành"], "Đông Lam"),
]

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Phan",
    "Võ",
    "Trịnh",
    "Đinh",
    "Lâm",
    "Mai",
    "Cao",
]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Thành", "Xuân"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Diệu"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Tài",
    "Thắng",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Hiếu",
]
GIVEN_F = [
    "Anh",
    "Chi",
    "Dung",
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Nga",
    "Nhung",
    "Oanh",
    "Phương",
    "Quyên",
    "Tâm",
    "Thảo",
    "Trang",
    "Vân",
    "Yến",
]


def person_name(i: int) -> str:
    """A deterministic, fictional Vietnamese full name for the i-th person (all distinct for
    the first 800)."""
    female = i % 2 == 1
    j = i // 2
    surname = SURNAMES[j % len(SURNAMES)]
    middle = (MIDDLE_F if female else MIDDLE_M)[(j // 5) % 8]
    given = (GIVEN_F if female else GIVEN_M)[(j // 20 + j * 3) % 20]
    return f"{surname} {middle} {given}"


def slugify(name: str) -> str:
    return fold(name).replace(" ", "").replace("-", "")


def legacy_of(code: str) -> str:
    """QCVN 102 form of a demo Decision-20 code (H99.NN.MM → 000.MM.NN.H99)."""
    parts = code.split(".")
    level1 = parts[0]
    y = parts[1] if len(parts) > 1 else "00"
    z = parts[2] if len(parts) > 2 else "00"
    return f"000.{int(z):02d}.{int(y):02d}.{level1}"


class Loader:
    def __init__(self, out) -> None:
        self.out = out
        self.positions: dict[str, Position] = {}
        self.units: dict[str, AdministrativeUnit] = {}
        self.agencies: dict[str, Agency] = {}  # slug -> agency
        self.person = 0
        self.created_users = 0

    # ----------------------------------------------------------------- building blocks

    def admin_unit(self, code, name, level, parent=None) -> AdministrativeUnit:
        unit = AdministrativeUnit.objects.filter(code=code).first()
        if unit is None:
            unit = services.create_admin_unit(
                actor=None, code=code, name=name, level=level, parent=parent
            )
        self.units[code] = unit
        return unit

    def agency(
        self,
        slug,
        code,
        name,
        *,
        kind,
        parent=None,
        short="",
        unit=None,
        established=FOUNDED,
        org_units=(),
    ) -> Agency:
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            number = sum(map(ord, code)) % 200 + 1
            agency = services.create_agency(
                actor=None,
                code=code,
                legacy_code=legacy_of(code),
                name=name,
                short_name=short,
                kind=kind,
                parent=parent,
                admin_unit=unit,
                address=f"Số {number} đường Lam Giang, phường Sông Lam, tỉnh {PROVINCE}",
                phone=f"0200 38{number:04d}",
                email=f"{slug}@{DOMAIN}",
                website=f"https://{slug}.{DOMAIN}",
                established_on=established,
            )
            for unit_name in org_units:
                services.create_org_unit(actor=None, agency=agency, name=unit_name)
        self.agencies[slug] = agency
        return agency

    def official(self, username, agency, position, roles, *, org_unit=None, also=()):
        """An official with a post in `agency` (and `also`: [(agency, position, roles)])."""
        self.person += 1
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.register_official(
                actor=None,
                username=username,
                full_name=person_name(self.person),
                agency=agency,
                position=self.positions[position],
                org_unit=org_unit,
                roles=roles,
                email=f"{username}@{DOMAIN}",
                phone=f"0990{self.person:06d}",
            ).user
            self.created_users += 1
            for other, other_position, other_roles in also:
                services.add_membership(
                    actor=None,
                    user=user,
                    agency=other,
                    position=self.positions[other_position],
                    is_primary=False,
                )
                for role in other_roles:
                    from tinhso.accounts.services import grant_role

                    grant_role(user=user, agency=other, role=role)
        return user

    def staff(self, slug, agency, *, head_key, full=True, onestop_at=None):
        head, deputy = HEAD_TITLES.get(head_key, ("Giám đốc", "Phó Giám đốc"))
        units = list(OrgUnit.objects.filter(agency=agency).order_by("id"))
        office = units[0] if units else None
        first = units[1] if len(units) > 1 else office
        second = units[2] if len(units) > 2 else first
        self.official(f"lanhdao.{slug}", agency, head, [Role.LEADER])
        self.official(f"vanthu.{slug}", agency, "Văn thư", [Role.CLERK], org_unit=office)
        self.official(
            f"chuyenvien.{slug}", agency, "Chuyên viên", [Role.SPECIALIST], org_unit=first
        )
        if not full:
            return
        self.official(f"pholanhdao.{slug}", agency, deputy, [Role.LEADER])
        self.official(f"truongphong.{slug}", agency, "Trưởng phòng", [Role.LEADER], org_unit=first)
        self.official(
            f"chuyenvien2.{slug}", agency, "Chuyên viên", [Role.SPECIALIST], org_unit=second
        )
        self.official(
            f"quantri.{slug}", agency, "Quản trị hệ thống", [Role.AGENCY_ADMIN], org_unit=office
        )
        also = []
        if onestop_at is not None:
            also = [(onestop_at, "Cán bộ một cửa", [Role.ONESTOP_OFFICER])]
        self.official(
            f"motcua.{slug}",
            agency,
            "Chuyên viên",
            [Role.ONESTOP_OFFICER],
            org_unit=office,
            also=also,
        )

    # ----------------------------------------------------------------------- the plan

    def run(self) -> None:
        for name, rank, is_leader in POSITIONS:
            self.positions[name] = services.ensure_position(
                actor=None, name=name, rank=rank, is_leader=is_leader
            )
        province_unit = self.admin_unit("99", f"Tỉnh {PROVINCE}", L.PROVINCE)
        ubnd = self.agency(
            "ubnd",
            "H99",
            f"Ủy ban nhân dân tỉnh {PROVINCE}",
            kind=K.PEOPLES_COMMITTEE,
            short="UBND",
            unit=province_unit,
            established=dt.date(1991, 8, 16),
        )
        hdnd = self.agency(
            "hdnd",
            "K99",
            f"Hội đồng nhân dân tỉnh {PROVINCE}",
            kind=K.PEOPLES_COUNCIL,
            short="HĐND",
            unit=province_unit,
            established=dt.date(1991, 8, 16),
            org_units=["Văn phòng Đoàn ĐBQH và HĐND tỉnh"],
        )
        for d in DEPARTMENTS:
            self.agency(
                d.slug,
                f"H99.{d.num:02d}",
                d.name,
                kind=d.kind,
                parent=ubnd,
                short=d.short,
                org_units=["Văn phòng", *d.units],
            )
        merged = {}
        for num, name, short, _succ in MERGED_DEPARTMENTS:
            merged[num] = self.agency(
                f"old{num}",
                f"H99.{num:02d}",
                name,
                kind=K.DEPARTMENT,
                parent=ubnd,
                short=short,
                org_units=["Văn phòng"],
            )
        for parent_key, num, name, short, slug in SUB_UNITS:
            parent = (
                merged[parent_key]
                if isinstance(parent_key, int)
                else self.agencies[str(parent_key)]
            )
            self.agency(
                slug,
                f"{parent.code}.{num:02d}",
                name,
                kind=K.PUBLIC_UNIT,
                parent=parent,
                short=short,
                org_units=["Phòng Hành chính - Tổng hợp"],
            )
        self.departments_reform(merged)
        self.two_level_reform(ubnd, province_unit)
        self.people(ubnd, hdnd)
        self.citizens()

    def departments_reform(self, merged) -> None:
        for num, _name, _short, succ in MERGED_DEPARTMENTS:
            old = Agency.objects.get(pk=merged[num].pk)
            if old.is_active:
                services.merge_agencies(
                    actor=None,
                    predecessors=[old],
                    successor=self.agencies[succ],
                    effective_on=DEPT_REFORM,
                    move_members=True,
                    move_children=True,
                    note="Sắp xếp các sở theo Nghị định 45/2025/NĐ-CP",
                )
        for slug, (name, short) in RENAMES.items():
            agency = Agency.objects.get(pk=self.agencies[slug].pk)
            if agency.name != name:
                self.agencies[slug] = services.rename_agency(
                    actor=None,
                    agency=agency,
                    name=name,
                    short_name=short,
                    effective_on=DEPT_REFORM,
                )
        for key in [s[4] for s in SUB_UNITS]:
            self.agencies[key].refresh_from_db()

    def two_level_reform(self, ubnd, province_unit) -> None:
        communes = {}
        for i, (kind, name) in enumerate(COMMUNES):
            label = "Phường" if kind == "phuong" else "Xã"
            unit = self.admin_unit(f"99{101 + i}", f"{label} {name}", L.COMMUNE, province_unit)
            slug = ("p" if kind == "phuong" else "x") + slugify(name)
            communes[name] = (kind, slug, unit, 51 + i)
        districts = []
        for num, dname, dcode, olds, succ in DISTRICTS:
            dunit = self.admin_unit(dcode, dname, L.DISTRICT, province_unit)
            district = self.agency(
                f"h{num}",
                f"H99.{num}",
                f"Ủy ban nhân dân {dname[0].lower()}{dname[1:]}",
                kind=K.PEOPLES_COMMITTEE,
                parent=ubnd,
                unit=dunit,
                short="UBND",
                org_units=["Văn phòng HĐND và UBND"],
            )
            old_agencies = []
            for j, old in enumerate(olds, start=1):
                ounit = self.admin_unit(
                    f"990{(num - 40) * 2 + j:02d}", f"Xã {old}", L.COMMUNE, dunit
                )
                old_agencies.append(
                    self.agency(
                        f"old{num}{j}",
                        f"H99.{num}.{j:02d}",
                        f"Ủy ban nhân dân xã {old}",
                        kind=K.PEOPLES_COMMITTEE,
                        parent=district,
                        unit=ounit,
                        short="UBND",
                    )
                )
            districts.append((district, dunit, old_agencies, succ))
        for name, (kind, slug, unit, num) in communes.items():
            label = "phường" if kind == "phuong" else "xã"
            self.agency(
                slug,
                f"H99.{num}",
                f"Ủy ban nhân dân {label} {name}",
                kind=K.PEOPLES_COMMITTEE,
                parent=ubnd,
                unit=unit,
                short="UBND",
                established=TWO_LEVEL,
                org_units=COMMUNE_UNITS[kind],
            )
        for district, _dunit, old_agencies, succ in districts:
            successor = self.agencies[communes[succ][1]]
            old_agencies = [Agency.objects.get(pk=a.pk) for a in old_agencies]
            active_old = [a for a in old_agencies if a.is_active]
            if active_old:
                services.merge_agencies(
                    actor=None,
                    predecessors=active_old,
                    successor=successor,
                    effective_on=TWO_LEVEL,
                    note="Sắp xếp đơn vị hành chính cấp xã năm 2025",
                )
                for a in active_old:
                    if a.admin_unit is None:
                        continue
                    services.close_admin_unit(
                        actor=None,
                        unit=a.admin_unit,
                        valid_to=TWO_LEVEL - dt.timedelta(days=1),
                        successor=communes[succ][2],
                    )
            district = Agency.objects.get(pk=district.pk)
            if district.is_active:
                services.abolish_district(
                    actor=None, district=district, successor=successor, effective_on=TWO_LEVEL
                )
        self.communes = communes

    def people(self, ubnd, hdnd) -> None:
        centre = self.agencies["ttphvhcc"]
        self.official("admin", ubnd, "Quản trị hệ thống", [Role.PLATFORM_ADMIN])
        self.official("lanhdao.ubnd", ubnd, "Chủ tịch", [Role.LEADER])
        self.official("pholanhdao.ubnd", ubnd, "Phó Chủ tịch", [Role.LEADER])
        self.official("pholanhdao2.ubnd", ubnd, "Phó Chủ tịch", [Role.LEADER])
        self.official("quantri.ubnd", ubnd, "Quản trị hệ thống", [Role.AGENCY_ADMIN])
        self.official("lanhdao.hdnd", hdnd, "Chủ tịch", [Role.LEADER])
        self.official("pholanhdao.hdnd", hdnd, "Phó Chủ tịch", [Role.LEADER])
        office = OrgUnit.objects.filter(agency=hdnd).first()
        self.official("vanthu.hdnd", hdnd, "Văn thư", [Role.CLERK], org_unit=office)
        self.official("chuyenvien.hdnd", hdnd, "Chuyên viên", [Role.SPECIALIST], org_unit=office)
        for d in DEPARTMENTS:
            agency = self.agencies[d.slug]
            at_centre = (
                centre if d.kind == K.DEPARTMENT and d.slug not in {"vpubnd", "ttr"} else None
            )
            self.staff(d.slug, agency, head_key=d.slug, onestop_at=at_centre)
        self.official("motcua2.ttphvhcc", centre, "Cán bộ một cửa", [Role.ONESTOP_OFFICER])
        for _parent, _num, _name, _short, slug in SUB_UNITS:
            self.staff(slug, self.agencies[slug], head_key=slug, full=False)
        for _name, (_kind, slug, _unit, _num) in self.communes.items():
            agency = self.agencies[slug]
            units = list(OrgUnit.objects.filter(agency=agency).order_by("id"))
            self.official(f"lanhdao.{slug}", agency, "Chủ tịch", [Role.LEADER])
            self.official(f"pholanhdao.{slug}", agency, "Phó Chủ tịch", [Role.LEADER])
            self.official(f"vanthu.{slug}", agency, "Văn thư", [Role.CLERK], org_unit=units[0])
            self.official(
                f"chuyenvien.{slug}", agency, "Chuyên viên", [Role.SPECIALIST], org_unit=units[1]
            )
            self.official(
                f"motcua.{slug}",
                agency,
                "Cán bộ một cửa",
                [Role.ONESTOP_OFFICER],
                org_unit=units[0],
            )
            self.official(
                f"quantri.{slug}",
                agency,
                "Quản trị hệ thống",
                [Role.AGENCY_ADMIN],
                org_unit=units[0],
            )

    def citizens(self) -> None:
        from tinhso.accounts.services import create_citizen

        people = [
            ("congdan.an", "Lữ Văn An", "099090000001"),
            ("congdan.binh", "Tôn Thị Bình", "099190000002"),
            ("congdan.chi", "Lạc Thị Chi", "099185000003"),
        ]
        for username, name, cid in people:
            if not User.objects.filter(username=username).exists():
                create_citizen(
                    username=username, full_name=name, citizen_id=cid, email=f"{username}@{DOMAIN}"
                )
                self.created_users += 1
        if not User.objects.filter(username="doanhnghiep.songlam").exists():
            create_citizen(
                username="doanhnghiep.songlam",
                full_name="Công ty TNHH Thương mại Sông Lam (giả định)",
                tax_code="9900123456",
                email=f"doanhnghiep@{DOMAIN}",
            )
            self.created_users += 1


def load(out) -> None:
    """Create the demo province; running it twice changes nothing."""
    loader = Loader(out)
    loader.run()
    out.write(
        f"  danh bạ: {Agency.objects.count()} cơ quan, "
        f"{Membership.objects.filter(ended_on__isnull=True).count()} vị trí công tác, "
        f"{loader.created_users} tài khoản mới"
    )
