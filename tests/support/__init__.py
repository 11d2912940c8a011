"""What the tests share, and nothing else: one sandbox for subprocesses (git, DVC, TF), one
factory for tiny models and params, generated images, and the loopback HTTP servers. Test
files import from here, never from each other; benchmarks may use it too."""
