import sys

from spotvortex.cli.main import main

sys.exit(main())
