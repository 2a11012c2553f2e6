import sys

from w2v.cli import main

if __name__ == "__main__":
    sys.exit(main())
