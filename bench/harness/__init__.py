"""The one harness of the benchmarks.

- timing (``bench.harness.timing``): ``repeat``/``arepeat`` time a piece of work over
  repeats after warm-ups and give a ``Timing`` (min, median, max, spread, rate);
  ``timed``/``atimed`` one run; ``percentile``;
- CPU (``bench.harness.cpu``): ``CpuMeter``, CPU seconds of this process (by thread if
  asked) and of named processes with their descendants (psutil);
- report (``bench.harness.report``): ``Figure`` (value and the baseline of the same run;
  the ratio computed here), ``print_table``, ``print_figures``, ``write_json``;
- servers (``bench.harness.servers``): ``scratch_database`` (PostgreSQL),
  ``serve_inline``/``serve_children`` over ``kinerja.devstack.dev_stack``, ports, logging;
- builders (``bench.harness.builders``): domain objects, shared with the tests.

Benchmarks run as modules from the project's directory: ``python -m bench.<name>``.
"""

from bench.harness.cpu import CpuMeter, command_line_containing, thread_kinds
from bench.harness.report import (
    Figure,
    figures_json,
    machine,
    print_figures,
    print_table,
    write_json,
)
from bench.harness.servers import (
    BenchError,
    PostgresServer,
    Serving,
    bench_settings,
    data_directory,
    describe_postgres,
    free_port,
    log_to_file,
    scratch_database,
    serve_children,
    serve_inline,
    server_settings,
    start_postgres,
)
from bench.harness.timing import Timing, arepeat, atimed, percentile, repeat, timed

__all__ = [
    "BenchError",
    "CpuMeter",
    "Figure",
    "PostgresServer",
    "Serving",
    "Timing",
    "arepeat",
    "atimed",
    "bench_settings",
    "command_line_containing",
    "data_directory",
    "describe_postgres",
    "figures_json",
    "free_port",
    "log_to_file",
    "machine",
    "percentile",
    "print_figures",
    "print_table",
    "repeat",
    "scratch_database",
    "serve_children",
    "serve_inline",
    "server_settings",
    "start_postgres",
    "thread_kinds",
    "timed",
    "write_json",
]
