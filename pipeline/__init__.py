"""supersizer: the pipeline stages, the shared modules below them, and the upscale tools."""

import os

# TensorFlow reads its log level once, at import; every entry point that may import it is a
# module of this package, so the default is set here (an explicit setting still wins).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
