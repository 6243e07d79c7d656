"""Figures: snapshots drawn. Plotly specs for the live views (plain dicts, fast to send),
static panels for files (matplotlib), and the paper's figures made from real runs.

- ``spec``, ``style``, ``marks``: the plain-dict spec format, the shared look, cheap dots and arrows.
- ``toy1d``, ``toy2d``, ``mnist``: one module per kind of run; ``curves``: metric curves.
- ``kinds``: which of those each kind of run uses (a new view registers there).
- ``figure1``: the paper's Figure 1 from one run; ``digits``: its Figures 2 and 3.
- ``dirac``: the Dirac-GAN's plane and its eigenvalues against the unit circle.
- ``pixels``: image grids and PNG bytes; ``run``: a run's pictures as files, and its zip.
"""
