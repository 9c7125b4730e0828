"""Pages of the public-service portal and the one-stop back office (mounted at /onestop/)."""

from django.urls import path

import tinhso.core.converters  # noqa: F401  (the <id:…>, <register_format:…> converters)
from tinhso.onestop import views

app_name = "onestop"
urlpatterns = [
    path("", views.home, name="home"),
    # Public
    path("thu-tuc/", views.catalog, name="catalog"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
    path("thu-tuc/<str:code>/to-khai.pdf", views.eform_pdf, name="eform_pdf"),
    path("tra-cuu/", views.lookup, name="lookup"),
    # Citizens
    path("thu-tuc/<str:code>/nop-ho-so/", views.submit, name="submit"),
    path("ho-so-cua-toi/", views.my_dossiers, name="my_dossiers"),
    path("kho-giay-to/", views.wallet, name="wallet"),
    path("kho-giay-to/<uuid:uid>/", views.wallet_file, name="wallet_file"),
    path("ho-so/<uuid:uid>/", views.dossier_detail, name="dossier"),
    path("ho-so/<uuid:uid>/mau-<str:form>.pdf", views.latest_form, name="dossier_form"),
    path("ho-so/<uuid:uid>/phieu/<uuid:form_uid>.pdf", views.issued_form, name="issued_form"),
    path("ho-so/<uuid:uid>/tep/<uuid:file_uid>/", views.dossier_file, name="dossier_file"),
    path(
        "ho-so/<uuid:uid>/bien-lai/<uuid:payment_uid>.pdf",
        views.payment_receipt,
        name="payment_receipt",
    ),
    path("ho-so/<uuid:uid>/thanh-toan/<uuid:payment_uid>/", views.pay, name="pay"),
    path(
        "ho-so/<uuid:uid>/thanh-toan/<uuid:payment_uid>/ket-qua/",
        views.payment_done,
        name="payment_done",
    ),
    path("ho-so/<uuid:uid>/cong-dan/<str:action>/", views.citizen_action, name="citizen_action"),
    # Officials
    path("xu-ly/", views.queue, name="queue"),
    path("ho-so/<uuid:uid>/xu-ly/<str:action>/", views.official_action, name="official_action"),
    path("tiep-nhan-tai-quay/", views.counter, name="counter"),
    path("thong-ke/", views.statistics_page, name="statistics"),
    path("thong-ke.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
    path("so-theo-doi/", views.register_page, name="register"),
    path("so-theo-doi.xlsx", views.register_xlsx, name="register_xlsx"),
    # Catalog administration
    path("quan-tri/thu-tuc/", views.catalog_admin, name="catalog_admin"),
    path("quan-tri/thu-tuc/xuat.<catalog_format:fmt>", views.catalog_export, name="catalog_export"),
    path("quan-tri/thu-tuc/them/", views.procedure_edit, name="procedure_new"),
    path("quan-tri/thu-tuc/tu-dong-nghia/", views.catalog_synonyms, name="catalog_synonyms"),
    path("quan-tri/thu-tuc/<str:code>/", views.procedure_edit, name="procedure_edit"),
]
