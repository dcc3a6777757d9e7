"""Server-rendered pages: templates, a small stylesheet, no build step."""
