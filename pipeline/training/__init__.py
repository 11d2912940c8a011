"""Fitting a super-resolution network: the Keras builders and their byte-stable file, the patch
stream, the recipe, the fit loop, its callbacks, resumable checkpoints and devices."""
