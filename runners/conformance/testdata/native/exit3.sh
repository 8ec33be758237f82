#!/bin/sh
# exit3: exits with code 3.
exit 3
