"""The web product (`python -m pipeline.serve`, `python -m pipeline.worker`): the HTTP API and page
(app.py, static/), the job service between them and the workers (service.py), where jobs are
kept (store.py: SQLite or Redis) and their files (storage.py), how they reach a worker
(dispatch.py: Dramatiq), and what a worker does with one (workers.py, runner.py)."""
