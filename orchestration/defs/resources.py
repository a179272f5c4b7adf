"""Resources shared by every domain: where the warehouse and its neighbours live."""

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
    return dg.Definitions(resources={"warehouse": Warehouse(home=str(returnops_home()))})
