#!/usr/bin/env bash
# What CI does on a pull request, in order; .github/workflows/gpu-pr.yml runs this script
# and tests/test_ci_reproduce.py runs it against a local-directory remote.
#
#   DVC_REMOTE_URL   where data and models are shared (s3://..., /mnt/share/...); required
#   BASE_REV         what the report compares with (default: main)
#   REPORT           the Markdown report to write (default: report.md)
#   REQUIRE_GPU=1    fail at once, with nvidia-smi's and TensorFlow's view, if no GPU is
#                    visible (a GPU runner that lost its GPU must not train for hours on CPU)
set -euo pipefail
: "${DVC_REMOTE_URL:?set DVC_REMOTE_URL to the DVC remote (s3://bucket/path, /shared/folder, ...)}"
BASE_REV="${BASE_REV:-main}"
REPORT="${REPORT:-report.md}"

echo "== devices"
if [ "${REQUIRE_GPU:-0}" = 1 ]; then
  nvidia-smi || { echo "REQUIRE_GPU=1 but nvidia-smi failed: no usable GPU on this runner" >&2; exit 3; }
fi
python -c "import tensorflow as tf, sys; gpus = tf.config.list_physical_devices('GPU'); \
print('TensorFlow', tf.__version__, 'sees', len(gpus), 'GPU(s):', gpus); \
sys.exit(3 if '${REQUIRE_GPU:-0}' == '1' and not gpus else 0)" \
  || { echo "REQUIRE_GPU=1 but TensorFlow sees no GPU (driver, CUDA or tensorflow[and-cuda] missing)" >&2; exit 3; }

echo "== remote"
dvc remote add --default --force ci "$DVC_REMOTE_URL"

echo "== pull what the remote has for this commit's dvc.lock (a missing piece is no error)"
dvc pull --allow-missing

echo "== reproduce what changed (or is missing), restoring from the run-cache where it can"
dvc repro --pull

echo "== push"
dvc push

echo "== report"
{
  echo "## Metrics (this change vs ${BASE_REV})"
  echo
  dvc metrics diff "$BASE_REV" --md
  echo
  echo "## Params (this change vs ${BASE_REV})"
  echo
  dvc params diff "$BASE_REV" --md
  echo
  echo "## Training curves and test pictures"
  echo
  for png in plots/train/*.png plots/eval/test_crop_0*.png plots/eval/gain_per_image.png; do
    if [ -f "$png" ]; then echo "![${png}](${png})"; fi
  done
} > "$REPORT"
dvc plots diff "$BASE_REV" --out dvc_plots >/dev/null
echo "wrote $REPORT and dvc_plots/"
