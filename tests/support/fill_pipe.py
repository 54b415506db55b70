#!/usr/bin/env python3
# Fills the FIFO given as the only argument until a write would block, so the next writer to it
# blocks (a log reader that has stopped reading). Needs a reader holding the FIFO open, else the
# open fails with ENXIO.
import os
import sys

fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
try:
    while True:
        os.write(fd, b"#" * 4096)
except BlockingIOError:
    pass
