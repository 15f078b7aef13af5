"""What a page shows, computed from a snapshot's run records and the URL's arguments.

Pure functions: no Flask, no file access. The table's query model and filter
expressions, compare selection, hparam grouping, config diff, scatter
geometry, chart options and the media step slider.
"""
