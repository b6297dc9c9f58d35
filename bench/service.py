"""The service as the kit measures it: `python server.py` with the kit's routes mounted.

    python -m bench.service [--host H] [--port P] [--workers N]

The same command line, settings and start-up as server.py (the kit's settings come as
APP_<KEY> variables), on every app the server builds: the service itself never serves
the kit's routes.
"""

import sys

import server
from bench.routes import mount

if __name__ == "__main__":
    sys.exit(server.main(setup=mount))
