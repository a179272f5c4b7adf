"""Resources shared by every domain: where the warehouse and its neighbours live; how runs
execute."""

import dagster as dg

from ingest.paths import Paths, get_paths, returnops_home


class Warehouse(dg.ConfigurableResource):
    """The RETURNOPS_HOME tree: landing zone, warehouse file, serving snapshot."""

    home: str

    @property
    def paths(self) -> Paths:
        return get_paths(self.home)


@dg.definitions
def resources() -> dg.Definitions:
    # Every step of a run executes in the run's own process. The steps that matter all take
    # the one slot of the `duckdb` pool, so a process per step (the multiprocess default) would
    # buy no parallelism and cost a code-location import (dbt manifest, GX) per step.
    return dg.Definitions(
        resources={"warehouse": Warehouse(home=str(returnops_home()))},
        executor=dg.in_process_executor,
    )
