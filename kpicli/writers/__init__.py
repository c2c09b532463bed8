"""Writers: render a Report, findings or a diff as text, JSON, CSV, Markdown, HTML or xlsx; never recompute."""
