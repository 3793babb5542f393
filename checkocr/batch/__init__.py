"""``checkocr batch``: read every check image of a folder or list file into JSONL/CSV, resumably.

Modules, one job each: ``sources`` (what to read), ``output`` (how lines are written, repaired and
resumed), ``scoring`` (one chunk of files -> records), ``local`` and ``ray_engine`` (who does the
scoring), ``summary`` (what the run did), ``runner`` (the run itself).
"""
