"""The schema's history, one module per migration, applied in order by `app.db`."""
