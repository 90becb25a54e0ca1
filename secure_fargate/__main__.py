"""``python -m secure_fargate check ...``"""

import sys

from .cli import main

sys.exit(main())
