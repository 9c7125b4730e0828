"""The dossier use-cases, one module per stage; this module keeps the old import path."""

from tinhso.onestop.services.applicant import (  # noqa: F401
    answer_supplement,
    rate,
    submit_dossier,
    withdraw,
)
from tinhso.onestop.services.common import (  # noqa: F401
    ACTIVE_PROCESS_STATES,
    WITHDRAWABLE,
    Attachment,
    get_dossier,
    notify_applicant,
    processing_days_used,
    shift_working_days,
    timeliness_of,
    total_budget,
)
from tinhso.onestop.services.processing import (  # noqa: F401
    assign,
    forward_to_next_step,
    obligation_fulfilled,
    pause,
    propose_extension,
    request_financial_obligation,
    resume,
    send_back,
    start_processing,
)
from tinhso.onestop.services.reception import (  # noqa: F401
    PaperReceived,
    accept_dossier,
    look_up_citizen,
    missing_papers,
    receive_counter_dossier,
    refuse_reception,
    request_supplement,
)
from tinhso.onestop.services.results import (  # noqa: F401
    approve,
    attach_result,
    prepare_result_signature,
    reject,
    return_result,
    token_session,
)
