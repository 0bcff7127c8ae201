"""Each notebook's exercises, registered with :mod:`course_utils.checks` on import.

The expected answers live here rather than in the notebooks, so reading an exercise cell does
not give its answer away; the reference solutions are collapsed cells in each notebook.
"""
