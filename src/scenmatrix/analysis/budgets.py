"""How much work an analysis may do unless its caller allows more: each budget declared once, here.

Kept apart from the engines (no numpy, no pandas) so that the command line can show them as defaults in
--help without importing the engines. The figures were measured on two cores (README, Guarantees).
"""

from __future__ import annotations

# The largest cross-impact space enumerated unless the caller allows more. Every scenario is scanned, so
# time grows with the product of the variant counts: about 20 s for 10^9 at the measured rate, while a
# 20 x 5 model (9.5e13 scenarios) would take weeks.
MAX_CIB_SCENARIOS = 1_000_000_000
CIB_SCAN_RATE = 50_000_000  # scenarios a second at -k 0, measured; only for the time estimate in a refusal

# Branch and bound (`cib scenarios`, exact at any size): the partial scenarios it may evaluate before it stops and
# says how much of the space it has settled. A node costs about 1 KB of arrays for a 20 x 5 model and about
# 1.5 us (benchmarks/README.md, CIB): this is about 30 CPU seconds, spread over the cores.
MAX_CIB_SEARCH_NODES = 20_000_000
# The most scenarios a study's own analysis keeps and shows (analyze, the brief's Cross-impact sheet): a model
# of weak judgments holds nearly every scenario together, and a table of them says nothing; the rest are counted.
MAX_STUDY_CIB_LISTED = 1_000
# A brief is built unattended, in seconds: its Cross-impact sheet searches this far and says what it proved.
MAX_BRIEF_CIB_NODES = 500_000
CIB_SEARCH_RATE = 400_000  # nodes a second: where a space can be scanned, the search gets the scan's time, then the scan

# Basins of attraction: the largest space followed from every scenario (memory grows with it: about 40 bytes a
# scenario), and the number of start scenarios sampled uniformly from a larger one unless the caller says.
MAX_CIB_BASIN_SCAN = 1_000_000
CIB_BASIN_SAMPLE = 10_000
MAX_CIB_BASIN_STATES = 2_000_000  # distinct scenarios a sample's walks hold (about 100 bytes each), then stop

# The most scenarios an enumeration keeps, the least inconsistent: a wide -k on a big space matches nearly
# every scenario, and keeping them all is what ran out of memory (10.8 GB in 60 s on a 12 x 5 matrix).
MAX_LISTED = 100_000

# Monte Carlo draws. Memory does not grow with them beyond one float64 per draw for the actor being
# summarized (percentiles need every draw): about 80 MB at this limit, however many scenarios and actors.
MAX_SAMPLES = 10_000_000
MIN_SAMPLES = 100

# Alignment is computed among at most this many actors, the most affected (largest sum of |effect|): every
# pair of 5,000 actors is 25 million, a matrix nobody reads, and gigabytes to compute and write.
MAX_ALIGNMENT_ACTORS = 100
