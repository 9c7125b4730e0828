"""Write use-cases of the one-stop app (see services/dossiers.py for the rules)."""

from tinhso.onestop.services.catalog import (  # noqa: F401
    save_process,
    save_search_synonyms,
    upsert_field,
    upsert_procedure,
    validate_budgets,
)
from tinhso.onestop.services.dossiers import (  # noqa: F401
    Attachment,
    PaperReceived,
    accept_dossier,
    answer_supplement,
    approve,
    assign,
    attach_result,
    forward_to_next_step,
    get_dossier,
    look_up_citizen,
    notify_applicant,
    pause,
    prepare_result_signature,
    propose_extension,
    rate,
    receive_counter_dossier,
    refuse_reception,
    reject,
    request_financial_obligation,
    request_supplement,
    resume,
    return_result,
    send_back,
    start_processing,
    submit_dossier,
    withdraw,
)
from tinhso.onestop.services.fees import payment_settled  # noqa: F401  (connects the receiver)
from tinhso.onestop.services.wallet import add_to_wallet, remove_from_wallet  # noqa: F401
