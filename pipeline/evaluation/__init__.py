"""Scoring a model with the literature's protocol: on the pipeline's splits (the evaluate stage)
and on folders of HR images such as Set5 (`python -m pipeline.testsets`)."""
