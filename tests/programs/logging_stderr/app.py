"""logging to stderr with a fixed format, including a logged traceback."""

from __future__ import annotations

import logging
import sys

import jobs

logging.basicConfig(
    stream=sys.stderr,
    level=logging.DEBUG,
    format="%(levelname)s %(name)s %(module)s.%(funcName)s %(filename)s:%(lineno)d %(message)s",
)
log = logging.getLogger("app")
log.info("starting wörk")
log.warning("values include a zero")
print("result", jobs.run([5, 0, 20]))
logging.getLogger("quiet").setLevel(logging.ERROR)
logging.getLogger("quiet").warning("this is filtered out")
log.error("finished with %s", "one error")
logging.shutdown()
