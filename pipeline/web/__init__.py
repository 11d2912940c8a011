"""The web product (`python -m pipeline.serve`): the HTTP API and page in app.py, the job queue
and its worker in job_queue.py, the page's files in static/."""
