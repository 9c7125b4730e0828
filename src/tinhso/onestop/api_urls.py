"""REST endpoints of the one-stop app, mounted under /api/v1/."""

from django.urls import path

from tinhso.onestop import api
from tinhso.onestop.payments import views as payment_views

urlpatterns = [
    path("onestop/procedures/", api.ProcedureList.as_view(), name="onestop-api-procedures"),
    path(
        "onestop/procedures/<str:code>/",
        api.ProcedureDetail.as_view(),
        name="onestop-api-procedure",
    ),
    path("onestop/fields/", api.FieldList.as_view(), name="onestop-api-fields"),
    path("onestop/dossiers/", api.DossierList.as_view(), name="onestop-api-dossiers"),
    path(
        "onestop/counter-dossiers/",
        api.CounterDossierCreate.as_view(),
        name="onestop-api-counter-dossiers",
    ),
    path("onestop/dossiers/<uuid:uid>/", api.DossierDetail.as_view(), name="onestop-api-dossier"),
    path("onestop/dossiers/<uuid:uid>/pay/", api.DossierPay.as_view(), name="onestop-api-pay"),
    *[
        path(
            f"onestop/dossiers/<uuid:uid>/{name}/",
            view.as_view(),
            name=f"onestop-api-{name}",
        )
        for name, view in api.ACTION_VIEWS.items()
    ],
    path("onestop/queues/", api.Queues.as_view(), name="onestop-api-queues"),
    path("onestop/wallet/", api.WalletList.as_view(), name="onestop-api-wallet"),
    path(
        "onestop/wallet/<uuid:uid>/",
        api.WalletItemDetail.as_view(),
        name="onestop-api-wallet-item",
    ),
    path("onestop/statistics/", api.Statistics.as_view(), name="onestop-api-statistics"),
    path(
        "onestop/payments/<str:provider>/ipn/",
        payment_views.PaymentCallbackView.as_view(),
        name="onestop-api-payment-ipn",
    ),
    # The sandbox provider's own checkout page (stands in for an external gateway).
    path(
        "onestop/payments/sandbox/checkout/",
        payment_views.sandbox_checkout,
        name="onestop_sandbox_checkout",
    ),
]

# The hottest public path (a citizen's dossier lookup): the root URLconf mounts it before
# every other route (`tinhso.urls`), so that resolving it tries one pattern, not forty.
hot_urlpatterns = [
    path("onestop/lookup/", api.Lookup.as_view(), name="onestop-api-lookup"),
]
