"""``python -m secure_fargate check ...``"""

import sys

from .pack.cli import main

sys.exit(main())
