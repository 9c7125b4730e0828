from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "tinhso.documents"
    label = "documents"
    verbose_name = "Văn bản điều hành"

    def ready(self) -> None:
        from tinhso.documents import rules  # noqa: F401  (registers the permission rules)
