"""``python -m interview_engine`` is the ``interview-engine`` command."""

import sys

from .cli import main

sys.exit(main())
