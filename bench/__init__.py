"""Benchmarks for the engine and the app: ``make bench`` (``python -m bench``) prints tables and writes RESULTS.md.

* :mod:`bench.engine` -- engine throughput, the textbook baseline (:mod:`bench.baseline`), torch.optim, the basin
  map, and a cProfile breakdown of where the engine's time goes;
* :mod:`bench.app_timing` -- the default page's runs, the script under AppTest (:mod:`bench.apptest_probe`, in a
  fresh process) and the page in headless Chromium (:mod:`bench.browser`, against :mod:`bench.server`);
* :mod:`bench.lecture_hall` -- simulated students (:mod:`bench.loadtest`) on `make serve`'s replicas behind nginx;
* :mod:`bench.core` -- the ``Measurement`` record, timers, the table formatter, the machine description;
* :mod:`bench.report` -- RESULTS.md and its "What we found" section.

Nothing here asserts: targets are printed with ✓ / ✗.
"""
