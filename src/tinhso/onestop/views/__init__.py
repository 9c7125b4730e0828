"""HTML pages of the public-service portal and the one-stop back office, one module per user."""

from tinhso.onestop.payments.pages import pay, payment_done, payment_receipt  # noqa: F401
from tinhso.onestop.views.applicant import (  # noqa: F401
    citizen_action,
    my_dossiers,
    submit,
    wallet,
    wallet_file,
)
from tinhso.onestop.views.catalog_admin import (  # noqa: F401
    catalog_admin,
    catalog_export,
    catalog_synonyms,
    procedure_edit,
)
from tinhso.onestop.views.counter import counter  # noqa: F401
from tinhso.onestop.views.dossier import (  # noqa: F401
    dossier_detail,
    dossier_file,
)
from tinhso.onestop.views.forms_issued import issued_form, latest_form  # noqa: F401
from tinhso.onestop.views.official import official_action, queue  # noqa: F401
from tinhso.onestop.views.public import (  # noqa: F401
    catalog,
    eform_pdf,
    home,
    lookup,
    procedure_detail,
)
from tinhso.onestop.views.statistics import (  # noqa: F401
    register_page,
    register_xlsx,
    statistics_page,
    statistics_xlsx,
)
