from .admin_import import ImportJobAdmin, ImportMappingAdmin  # noqa: F401
