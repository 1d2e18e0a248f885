"""HTML for people: the monthly audit report and the public transparency page.

Rendering is separate from the data: each renderer takes the finished JSON-ready data and only
escapes and lays it out. Pages are self-contained (inline CSS and SVG charts drawn here); they
load nothing from elsewhere and run no scripts.
"""
