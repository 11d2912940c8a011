"""The six DVC stages of dvc.yaml, one module each and nothing else: each `main()` reads its
params and arguments, calls the libraries below and writes the stage's outputs. Run them
through `dvc repro` (or `python -m pipeline.stages.<stage>`); nothing imports them."""
