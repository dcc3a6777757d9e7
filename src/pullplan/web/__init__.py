"""The web app: the REST API under /api/v1 and the server-rendered pages."""
