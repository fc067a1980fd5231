"""One module per page: its routes (``ROUTES``) and its endpoints; templates under ``templates/<page>/``."""
