"""Background work: RQ job functions, the worker and the rq-scheduler entry points."""
