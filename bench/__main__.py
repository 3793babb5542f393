"""``python -m bench [PART...] [--quick]``: see bench.harness."""

from bench.harness import main

raise SystemExit(main())
