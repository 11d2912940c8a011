"""supersizer, a floor at a time (docs/architecture.md draws the map; tests/ground/test_layers.py
holds every arrow to it):

    doors      upscale, serve, search, testsets, showcase (`python -m pipeline.<door>`)
    stages/    the six DVC stages: thin mains, nothing imports them
    tools/ web/                      the command lines and the web server
    training/ evaluation/            fitting a model; scoring one on splits and folders
    upscaling/ dataset/ (scraper/)   the product core; the data the stages make
    imaging/                         images in and out, resizing, quality, pictures
    (this folder)                    plumbing: params, cli, outputs, tables, parallel, ...

A module imports only its own package and lower floors; a door or a stage is imported by
nobody.
"""

import os

# TensorFlow reads its log level once, at import; every entry point that may import it is a
# module of this package, so the default is set here (an explicit setting still wins).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
