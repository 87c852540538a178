# Source on the GPU host from the repo root (carry .whl): installs carried wheels into /tmp/site,
# puts gpulab (from src/) on PYTHONPATH and a `gpulab` command on PATH. No network needed.
set -e
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
fi
export PYTHONPATH=/tmp/site:$PWD/src${PYTHONPATH:+:$PYTHONPATH}
mkdir -p /tmp/bin
printf '#!/bin/sh\nexec python3 -m gpulab.cli "$@"\n' > /tmp/bin/gpulab
chmod +x /tmp/bin/gpulab
export PATH=/tmp/bin:/tmp/site/bin:$PATH PYTHONUNBUFFERED=1
set +e
