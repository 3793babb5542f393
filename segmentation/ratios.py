"""The shape ratios of the digit path's splitting (``segmentation.split`` and its modules), in one table.

Unless a comment says otherwise a ratio is a share of the field's reference digit height
(``segmentation.blobs.reference_height``), so the rules hold at any resolution. How the tuned values
were chosen is in docs/history.md ("digit path constants").
"""

from __future__ import annotations

# Blob sizes and positions.
TALL = 0.6  # a blob at least this tall is digit-sized (``blobs.is_tall``): full-height digits, "$", "/"
SMALL = 0.42  # blobs lower than this (and narrow) are punctuation, not digits
DOT = 0.35  # a decimal or grouping dot is smaller than this both ways ...
DOT_OFF_BASELINE = 0.3  # ... and its bottom within this of the baseline
STAGGER = 0.25  # two tall pieces this far apart at top and bottom are one glyph
MERGE_GAP = 0.35  # largest vertical gap between pieces merged into one glyph
SHARED_TOP = 0.1  # two pieces whose tops are this close are written side by side
OFF_LINE_SMALL = 0.45  # marks lower than this wholly off the writing line are print, not writing

# Marks told apart by shape.
RING_SPAN = 0.5  # of the blob's width: a single hole this wide makes it one broad "0"
LOOP_AREA_MIN = 0.02  # of the digit height squared: a loop, not a pinhole in a thick stroke
DOLLAR_GAP = 0.35  # the space a writer leaves after a "$" ("$ 25")
DOLLAR_POKE = 1.15  # of the digits' height: a "$" whose bar pokes out above and below is this tall
FLOURISH_HEIGHT = 0.6  # of the other digits' height: a last mark lower than this may close the amount ...
FLOURISH_CLEARANCE = 0.1  # ... when it stays this far (of their height) from their top line and baseline
RAISED_MAX_HEIGHT = 0.8  # of the main digits' height: trailing digits this small and high are raised cents
UNDERLINE_MIN = 0.55  # shortest underline under raised cents (two small cents and a margin)

# Cutting touching digits, and choosing among the cuts.
WIDE_ASPECT = 0.95  # of its height: a digit candidate wider than this may be two touching digits
THREE_WIDE = 1.7  # a blob wider than this may also be three touching digits
MAX_SPLIT_OPTIONS = 3  # two-way cuts tried per wide blob (plus the ink-span cut)
COUNT_SIGMA = 0.55  # spread, in digits, of how many digits a blob's width suggests
SPLIT_COST = 0.7  # prior factor for any cut: a cut must earn its place
SCRAP_COST = 0.1  # prior factor per scrap piece (much lower than a digit) or two side-by-side loops
PRIOR_WEIGHT = 0.6  # option score = classifier x prior ** PRIOR_WEIGHT: the prior breaks near ties only

CURRENCY = "¤"  # a printed currency sign whose exact symbol is not read
