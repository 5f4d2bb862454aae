"""``python -m llm_lineage.cli``: the same as the ``llm-lineage`` console script."""

import sys

from llm_lineage.cli.main import main

sys.exit(main())
