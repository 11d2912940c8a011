"""The command lines beside the pipeline (upscale, testsets, showcase, search): a `main(argv)`
each, run through their doors (`python -m pipeline.upscale`, ...) and called in-process by tests."""
